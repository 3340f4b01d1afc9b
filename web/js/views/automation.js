// Automation: the export schedule (cron or rate, time zone, target, on/off) and webhooks
// as the API lists them, made here or elsewhere (create, rotate, remove with a confirm; a secret
// is shown once, with copy buttons).

import { api, session } from '../api.js';
import { announce, confirmation, copyText, field, h, replace } from '../dom.js';
import { describeTarget, formatWhen } from '../format.js';
import { submitting } from '../forms.js';
import { forgeTargetFields } from './exports.js';

function targetPicker(prefix) {
  const kind = h('select', { testid: `${prefix}-kind` }, h('option', { value: 'zip' }, 'zip'), h('option', { value: 'tar.gz' }, 'tar.gz'), h('option', { value: 'forge' }, 'GitHub or GitLab'));
  const forge = forgeTargetFields(prefix);
  forge.element.hidden = true;
  kind.addEventListener('change', () => {
    forge.element.hidden = kind.value !== 'forge';
  });
  return {
    element: h('div', {}, field('Export to', kind, { name: 'target' }), forge.element),
    read: () => (kind.value === 'forge' ? forge.read() : { type: kind.value }),
    set(target) {
      kind.value = ['zip', 'tar.gz'].includes(target?.type) ? target.type : 'forge';
      forge.element.hidden = kind.value !== 'forge';
    },
  };
}

function secretLine(label, value, testid) {
  const copy = h('button', { type: 'button', class: 'button button-quiet', testid: `copy-${testid}` }, `Copy ${label.toLowerCase()}`);
  copy.addEventListener('click', () => copyText(copy, value));
  return h('div', { class: 'secret' }, h('span', { class: 'secret-label' }, label), h('code', { testid }, value), copy);
}

function shownOnce(hook) {
  const url = absolute(hook.url);
  return h(
    'div',
    { class: 'notice-info', testid: 'hook-secret', role: 'status' },
    h('p', {}, h('strong', {}, 'Copy these now: '), 'the secret is shown only once. Sign each call with ', h('code', {}, `${hook.signature_header}: t=<unix>,v1=<HMAC-SHA256 of "t.body">`), '.'),
    secretLine('URL', url, 'hook-url'),
    secretLine('Secret', hook.secret, 'hook-secret-value'),
  );
}

function scheduleSection(project) {
  const expression = h('input', { type: 'text', placeholder: '0 3 * * 1-5', testid: 'schedule-expression', autocomplete: 'off' });
  const zone = h('input', { type: 'text', placeholder: 'UTC', testid: 'schedule-zone', autocomplete: 'off' });
  const enabled = h('input', { type: 'checkbox', checked: true, testid: 'schedule-enabled' });
  const target = targetPicker('schedule');
  const status = h('p', { testid: 'schedule-status', role: 'status' });
  const remove = h('button', { type: 'button', class: 'button button-secondary', testid: 'schedule-delete', hidden: true }, 'Remove schedule');
  const show = (schedule) => {
    remove.hidden = !schedule;
    status.textContent = schedule
      ? `${schedule.enabled ? 'On' : 'Paused'}: ${schedule.expression} (${schedule.time_zone ?? 'UTC'}) to ${describeTarget(schedule.target)}${schedule.next_run ? `; next run ${new Date(schedule.next_run).toUTCString()}` : ''}.`
      : 'No schedule: exports happen when you start them.';
    if (schedule) {
      expression.value = schedule.expression;
      zone.value = schedule.time_zone ?? '';
      enabled.checked = schedule.enabled !== false;
      target.set(schedule.target);
    }
  };
  const form = h(
    'form',
    { class: 'card', testid: 'schedule-form', novalidate: true, 'aria-labelledby': 'schedule-title' },
    h('h2', { id: 'schedule-title' }, 'Export schedule'),
    status,
    field('When (5-field cron or rate(15 minutes))', expression, { name: 'expression' }),
    field('Time zone (IANA, e.g. Europe/Berlin)', zone, { name: 'time_zone' }),
    target.element,
    h('label', { class: 'choice' }, enabled, ' Enabled'),
    h('p', { class: 'form-error', role: 'alert', testid: 'schedule-error', dataset: { errorFor: '' } }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button', testid: 'schedule-save' }, 'Save schedule'), remove),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submitting(form, async () => {
      const body = { expression: expression.value.trim(), target: target.read(), enabled: enabled.checked };
      if (zone.value.trim()) body.time_zone = zone.value.trim();
      show(await api('PUT', `/projects/${project.id}/export-schedule`, body));
    });
  });
  remove.addEventListener('click', () =>
    submitting(form, async () => {
      await api('DELETE', `/projects/${project.id}/export-schedule`);
      show(null);
    }),
  );
  const load = async () => {
    try {
      show(await api('GET', `/projects/${project.id}/export-schedule`));
    } catch (err) {
      if (err.status === 404) show(null);
      else throw err;
    }
  };
  return { element: form, load };
}

const absolute = (url) => new URL(url, session.config.apiUrl || window.location.origin).toString();

function hookRow(hook, { rotate, remove }) {
  const rotateButton = h('button', { type: 'button', class: 'button button-quiet', testid: 'hook-rotate', 'aria-label': `Rotate the secret of hook ${hook.id.slice(0, 13)}` }, 'Rotate secret');
  const removeButton = h('button', { type: 'button', class: 'button button-secondary', testid: 'hook-remove', 'aria-label': `Remove hook ${hook.id.slice(0, 13)}` }, 'Remove');
  const [confirm, cancel] = confirmation(removeButton, {
    label: 'Yes, remove: its URL stops working',
    testid: 'hook-remove-confirm',
    onConfirm: () => remove(hook),
  });
  rotateButton.addEventListener('click', () => rotate(hook));
  const when = `created ${formatWhen(hook.created_at)}${hook.rotated_at ? `, secret rotated ${formatWhen(hook.rotated_at)}` : ''}`;
  return h(
    'li',
    { testid: 'hook-row', dataset: { hook: hook.id } },
    h('div', { class: 'hook-what' }, h('code', {}, hook.id.slice(0, 13)), ` → ${describeTarget(hook.target)}, `, h('span', { testid: 'hook-when' }, when)),
    h('code', { class: 'hook-url', testid: 'hook-row-url' }, absolute(hook.url)),
    h('div', { class: 'actions' }, rotateButton, removeButton, confirm, cancel),
  );
}

/** Webhooks as the API lists them (made here or elsewhere): create, rotate a secret, remove. */
function hooksSection(project) {
  localStorage.removeItem(`forgeflow.hooks.${project.id}`); // what older pages remembered
  const secretSlot = h('div');
  const list = h('ul', { class: 'hook-list', testid: 'hook-list', 'aria-label': 'Webhooks of this project' });
  const empty = h('p', { class: 'hint', testid: 'hook-empty', hidden: true }, 'No webhooks yet.');
  const target = targetPicker('hook');
  let shownFor = null;
  const show = (hook) => {
    shownFor = hook.id;
    replace(secretSlot, shownOnce({ signature_header: 'x-forgeflow-signature', ...hook }));
  };
  const load = async () => {
    const hooks = (await api('GET', `/projects/${project.id}/hooks`))?.items ?? [];
    empty.hidden = hooks.length > 0;
    replace(list, hooks.map((hook) => hookRow(hook, { rotate, remove })));
  };
  const rotate = (hook) =>
    submitting(form, async () => {
      const fresh = await api('POST', `/hooks/${hook.id}/rotate`);
      await load();
      show({ ...hook, ...fresh });
    });
  const remove = (hook) =>
    submitting(form, async () => {
      await api('DELETE', `/hooks/${hook.id}`);
      if (shownFor === hook.id) replace(secretSlot);
      await load();
      announce(`Webhook ${hook.id.slice(0, 13)} removed.`);
    });
  const form = h(
    'form',
    { class: 'card', testid: 'hook-form', novalidate: true, 'aria-labelledby': 'hooks-title' },
    h('h2', { id: 'hooks-title' }, 'Webhooks'),
    h('p', { class: 'hint' }, 'A signed POST to a hook exports the latest generation: connect your CI or another service.'),
    target.element,
    h('p', { class: 'form-error', role: 'alert', testid: 'hook-error', dataset: { errorFor: '' } }),
    h('button', { type: 'submit', class: 'button', testid: 'hook-create' }, 'Create webhook'),
    secretSlot,
    empty,
    list,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submitting(form, async () => {
      // Listed first, so the new hook's row is there when its secret shows.
      const created = await api('POST', `/projects/${project.id}/hooks`, { target: target.read() });
      await load();
      show(created);
    });
  });
  return { element: form, load };
}

export async function mount(root, ctx, project) {
  const schedule = scheduleSection(project);
  const hooks = hooksSection(project);
  root.append(schedule.element, hooks.element);
  await Promise.all([schedule.load(), hooks.load()]);
}
