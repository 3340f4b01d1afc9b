// Automation: the export schedule (cron or rate, time zone, target, on/off) and webhooks
// (create, rotate; the URL and secret are shown once, with copy buttons).

import { api, session } from '../api.js';
import { copyText, field, h, replace } from '../dom.js';
import { describeTarget, formatWhen } from '../format.js';
import { submitting } from '../forms.js';
import { forgeTargetFields } from './exports.js';

const HOOKS_KEY = (projectId) => `forgeflow.hooks.${projectId}`;

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
  const url = new URL(hook.url, session.config.apiUrl || window.location.origin).toString();
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

function hooksSection(project) {
  const known = () => JSON.parse(localStorage.getItem(HOOKS_KEY(project.id)) ?? '[]');
  const remember = (hook) => localStorage.setItem(HOOKS_KEY(project.id), JSON.stringify([{ id: hook.id, target: hook.target, created: new Date().toISOString() }, ...known().filter((k) => k.id !== hook.id)]));
  const secretSlot = h('div');
  const list = h('ul', { class: 'hook-list', testid: 'hook-list' });
  const target = targetPicker('hook');
  const drawList = () =>
    replace(
      list,
      known().map((hook) => {
        const rotate = h('button', { type: 'button', class: 'button button-quiet', testid: 'hook-rotate' }, 'Rotate secret');
        rotate.addEventListener('click', () =>
          submitting(form, async () => {
            const fresh = await api('POST', `/hooks/${hook.id}/rotate`);
            replace(secretSlot, shownOnce({ ...hook, ...fresh }));
          }),
        );
        return h('li', { testid: 'hook-row', dataset: { hook: hook.id } }, h('code', {}, hook.id.slice(0, 13)), ` → ${describeTarget(hook.target)}, created ${formatWhen(hook.created)} `, rotate);
      }),
    );
  const form = h(
    'form',
    { class: 'card', testid: 'hook-form', novalidate: true, 'aria-labelledby': 'hooks-title' },
    h('h2', { id: 'hooks-title' }, 'Webhooks'),
    h('p', { class: 'hint' }, 'A signed POST to a hook exports the latest generation: connect your CI or another service.'),
    target.element,
    h('p', { class: 'form-error', role: 'alert', testid: 'hook-error', dataset: { errorFor: '' } }),
    h('button', { type: 'submit', class: 'button', testid: 'hook-create' }, 'Create webhook'),
    secretSlot,
    list,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submitting(form, async () => {
      const hook = await api('POST', `/projects/${project.id}/hooks`, { target: target.read() });
      remember(hook);
      replace(secretSlot, shownOnce(hook));
      drawList();
    });
  });
  drawList();
  return form;
}

export async function mount(root, ctx, project) {
  const schedule = scheduleSection(project);
  root.append(schedule.element, hooksSection(project));
  await schedule.load();
}
