// Settings: the tokens exports and imports use (GitHub, GitLab) and the AI providers' keys
// (OpenAI-compatible with its base URL and models, Anthropic). Tokens are write-only: the page
// shows whether one is set and when, never the token.

import { api, session } from '../api.js';
import { field, h, replace } from '../dom.js';
import { formatWhen } from '../format.js';
import { submitting } from '../forms.js';

const PROVIDERS = [
  { id: 'github', name: 'GitHub', hint: 'A token with the repo scope: exports commit and open pull requests with it.' },
  { id: 'gitlab', name: 'GitLab', hint: 'A token with the api scope: exports commit and open merge requests with it.' },
  { id: 'openai', name: 'OpenAI or compatible', hint: 'Agents whose provider is openai use it.', baseUrl: 'https://api.openai.com/v1', models: true },
  { id: 'anthropic', name: 'Anthropic', hint: 'Agents whose provider is anthropic use it.', models: true },
];

function providerCard(provider) {
  const status = h('p', { class: 'credential-status', testid: `credential-status-${provider.id}`, role: 'status' }, 'Checking…');
  const token = h('input', { type: 'password', autocomplete: 'off', testid: `credential-token-${provider.id}` });
  const baseUrl = provider.baseUrl ? h('input', { type: 'url', placeholder: provider.baseUrl, testid: `credential-base-url-${provider.id}` }) : null;
  const models = provider.models ? h('input', { type: 'text', placeholder: 'comma-separated, e.g. gpt-4o-mini', testid: `credential-models-${provider.id}` }) : null;
  const remove = h('button', { type: 'button', class: 'button button-secondary', testid: `credential-delete-${provider.id}`, hidden: true }, 'Remove');
  const show = (answer) => {
    remove.hidden = !answer?.set;
    status.dataset.set = answer?.set ? 'true' : 'false';
    status.textContent = answer?.set
      ? `Set ${formatWhen(answer.updated_at)}${answer.base_url ? ` · ${answer.base_url}` : ''}${answer.models?.length ? ` · ${answer.models.join(', ')}` : ''}.`
      : 'Not set.';
    if (baseUrl && answer?.base_url) baseUrl.value = answer.base_url;
    if (models && answer?.models) models.value = answer.models.join(', ');
  };
  const form = h(
    'form',
    { class: 'card credential', testid: `credential-${provider.id}`, novalidate: true, 'aria-labelledby': `cred-${provider.id}` },
    h('h2', { id: `cred-${provider.id}` }, provider.name),
    status,
    field('Token', token, { name: 'token', hint: provider.hint }),
    baseUrl ? field('Base URL', baseUrl, { name: 'base_url' }) : null,
    models ? field('Models', models, { name: 'models' }) : null,
    h('p', { class: 'form-error', role: 'alert', dataset: { errorFor: '' }, testid: `credential-error-${provider.id}` }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button', testid: `credential-save-${provider.id}` }, 'Save'), remove),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submitting(form, async () => {
      const body = { token: token.value.trim() };
      if (baseUrl) body.base_url = baseUrl.value.trim() || provider.baseUrl;
      const list = models?.value.split(',').map((m) => m.trim()).filter(Boolean);
      if (list?.length) body.models = list;
      await api('PUT', `/credentials/${provider.id}`, body);
      token.value = '';
      show(await api('GET', `/credentials/${provider.id}`));
    });
  });
  remove.addEventListener('click', () =>
    submitting(form, async () => {
      await api('DELETE', `/credentials/${provider.id}`);
      show({ set: false });
    }),
  );
  const load = async () => {
    try {
      show(await api('GET', `/credentials/${provider.id}`));
    } catch (err) {
      // A stack without this provider yet answers 400: say so instead of failing the page.
      if (err.status === 400 || err.status === 404) {
        replace(status, 'Not available on this server yet.');
        form.querySelector('button[type="submit"]').disabled = true;
      } else throw err;
    }
  };
  return { form, load };
}

function auditSection() {
  const list = h('ul', { class: 'audit-list', testid: 'audit-list' });
  const more = h('button', { type: 'button', class: 'button button-quiet', testid: 'audit-more', hidden: true }, 'Older entries');
  let cursor = null;
  const load = async () => {
    const page = await api('GET', `/audit?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    for (const entry of page.items ?? []) {
      list.append(h('li', { testid: 'audit-entry' }, h('strong', {}, entry.action), h('span', {}, `${entry.status}`), h('span', { class: 'muted' }, `${formatWhen(entry.at)} from ${entry.source_ip ?? '?'}`)));
    }
    cursor = page.next_cursor;
    more.hidden = !cursor;
  };
  more.addEventListener('click', () => load().catch(() => {}));
  const element = h('section', { class: 'card', 'aria-labelledby': 'audit-title' }, h('h2', { id: 'audit-title' }, 'Audit log'), h('p', { class: 'hint' }, 'Every change made with your account, newest first.'), list, more);
  return { element, load };
}

export async function mount(root) {
  const cards = PROVIDERS.map(providerCard);
  const audit = auditSection();
  root.append(
    h(
      'section',
      { class: 'page', testid: 'settings-view', 'aria-labelledby': 'settings-title' },
      h('h1', { id: 'settings-title' }, 'Settings'),
      h('p', { class: 'lead' }, 'Tokens are stored encrypted and never shown again; replace or remove them here.'),
      h('div', { class: 'cards' }, cards.map((c) => c.form)),
      audit.element,
      h('p', { class: 'hint' }, 'Scripts and other tools: the ', h('a', { href: `${session.config.apiUrl}/openapi.json`, testid: 'openapi-link' }, 'API description (OpenAPI 3.1)'), ' and the forgeflow command line.'),
    ),
  );
  await Promise.all([...cards.map((c) => c.load()), audit.load()]);
}
