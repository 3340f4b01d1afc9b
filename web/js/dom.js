// Building the page's elements: h() makes elements from tag, properties and children (text is
// always a text node, never HTML, so generated code and API text cannot inject markup).

/** h('button', {class: 'button', onclick: f, dataset: {testid: 'x'}}, 'Save') */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') element.className = value;
    else if (key === 'dataset') {
      for (const [name, data] of Object.entries(value)) if (data !== undefined && data !== null) element.dataset[name] = data;
    }
    else if (key === 'testid') element.dataset.testid = value;
    else if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else if (key in element && typeof value !== 'string') element[key] = value;
    else element.setAttribute(key, value === true ? '' : value);
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function byTestId(id, root = document) {
  return root.querySelector(`[data-testid="${id}"]`);
}

export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

let counter = 0;
/** A unique id for label/field pairs. */
export function uid(prefix = 'f') {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A labelled field: label, control, hint and an error slot the API's `field` can name. */
export function field(label, control, { hint, name } = {}) {
  const id = control.id || uid(name ?? 'field');
  control.id = id;
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  control.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
  if (name) control.name = name;
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    h('p', { class: 'field-error', id: errorId, dataset: { errorFor: name ?? '', testid: control.dataset.testid ? `${control.dataset.testid}-error` : undefined } }),
  );
}

/** A status chip: its text says the status (colour is never the only signal). */
export function chip(status, label, testid = 'status') {
  return h('span', { class: 'chip', dataset: { status, testid } }, label);
}

/** A polite live region shared by the whole page. */
export function announce(message) {
  const region = byTestId('live-status');
  if (region) region.textContent = message;
}

/** Copies text; the button says it worked. */
export async function copyText(button, text) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    button.textContent = 'Select and copy';
  }
}

/**
 * A destructive action asked twice: `trigger` reveals a danger button (`label`, `testid`) and a
 * Cancel that hides both again and gives focus back to `trigger`. Returns the two buttons.
 */
export function confirmation(trigger, { label, testid, onConfirm }) {
  const confirm = h('button', { type: 'button', class: 'button button-danger', testid, hidden: true }, label);
  const cancel = h('button', { type: 'button', class: 'button button-quiet', testid: `${testid}-cancel`, hidden: true }, 'Cancel');
  const show = (open) => {
    confirm.hidden = !open;
    cancel.hidden = !open;
    (open ? confirm : trigger).focus();
  };
  trigger.addEventListener('click', () => show(true));
  cancel.addEventListener('click', () => show(false));
  confirm.addEventListener('click', () => onConfirm(confirm));
  return [confirm, cancel];
}
