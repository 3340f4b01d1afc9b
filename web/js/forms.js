// Forms: an API error shows next to the field it names (its `field`, "target.type" → "target"),
// else above the buttons; buttons are disabled while a call runs.

import { sentence } from './format.js';

export function clearErrors(form) {
  for (const slot of form.querySelectorAll('[data-error-for]')) slot.textContent = '';
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
}

/** The names a field could have in the form: "target.base_url" → base_url, then target. */
function errorFields(err) {
  if (err.field) {
    const parts = err.field.split('.');
    return [...new Set([err.field, parts[parts.length - 1], parts[0]])];
  }
  if (err.code === 'email_taken') return ['email'];
  return [];
}

export function showFormError(form, err) {
  const name = errorFields(err).find((candidate) => form.querySelector(`[data-error-for="${CSS.escape(candidate)}"]`)) ?? '';
  const slot = (name && form.querySelector(`[data-error-for="${CSS.escape(name)}"]`)) || form.querySelector('[data-error-for=""]');
  if (!slot) return;
  const input = slot.dataset.errorFor ? form.elements[name] : null;
  const label = input?.labels?.[0]?.textContent.trim();
  slot.textContent = sentence(err.field && label ? `${label} ${err.message}` : err.message);
  if (input instanceof HTMLElement) {
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }
}

/** Runs `work` with the form's buttons disabled; an error lands on the form. */
export async function submitting(form, work) {
  clearErrors(form);
  const buttons = [...form.querySelectorAll('button')];
  for (const button of buttons) button.disabled = true;
  form.setAttribute('aria-busy', 'true');
  try {
    await work();
  } catch (err) {
    if (!err?.sessionEnded) showFormError(form, err);
  } finally {
    for (const button of buttons) button.disabled = false;
    form.removeAttribute('aria-busy');
  }
}

