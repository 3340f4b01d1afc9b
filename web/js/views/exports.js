// Exports: an archive to download, a commit on GitHub or GitLab (with a link to set the token),
// the history with its links (each export followed live while it runs), and "export again".

import { api, listAll } from '../api.js';
import { chip, field, h, replace } from '../dom.js';
import { describeTarget, formatWhen, sentence, statusLabel } from '../format.js';
import { submitting } from '../forms.js';
import { routeHref } from '../routes.js';
import { exportButtons, followExport, resultLinks } from './export-panel.js';

export function forgeTargetFields(prefix) {
  const type = h('select', { testid: `${prefix}-type` }, h('option', { value: 'github' }, 'GitHub'), h('option', { value: 'gitlab' }, 'GitLab'));
  const repository = h('input', { type: 'text', placeholder: 'owner/name', testid: `${prefix}-repository`, autocomplete: 'off' });
  const branch = h('input', { type: 'text', placeholder: 'main', testid: `${prefix}-branch`, autocomplete: 'off' });
  const baseUrl = h('input', { type: 'url', placeholder: 'https://gitlab.com', testid: `${prefix}-base-url` });
  const review = h('input', { type: 'checkbox', testid: `${prefix}-review` });
  const baseUrlField = field('GitLab address (self-hosted only)', baseUrl, { name: 'base_url' });
  baseUrlField.hidden = true;
  type.addEventListener('change', () => {
    baseUrlField.hidden = type.value !== 'gitlab';
    repository.placeholder = type.value === 'gitlab' ? 'group/name' : 'owner/name';
  });
  const element = h(
    'div',
    {},
    h(
      'div',
      { class: 'field-row' },
      field('Where', type, { name: 'type' }),
      field('Repository', repository, { name: 'repository', hint: 'owner/name on GitHub, group/name on GitLab' }),
      field('Branch', branch, { name: 'branch', hint: 'Default: the repository’s default branch' }),
      baseUrlField,
    ),
    h('label', { class: 'choice' }, review, ' Open a pull / merge request instead of committing to the branch'),
  );
  const read = () => {
    const target = { type: type.value };
    if (type.value === 'github') {
      target.repository = repository.value.trim();
      target.pull_request = review.checked;
    } else {
      target.project = repository.value.trim();
      target.merge_request = review.checked;
      if (baseUrl.value.trim()) target.base_url = baseUrl.value.trim();
    }
    if (branch.value.trim()) target.branch = branch.value.trim();
    return target;
  };
  return { element, read };
}

function historyRow(ctx, exp, projectName) {
  const running = !['succeeded', 'failed'].includes(exp.status);
  return h(
    'li',
    { class: 'export-row', testid: 'export-row', dataset: { export: exp.id, status: exp.status } },
    h('span', { class: 'export-target' }, describeTarget(exp.target)),
    chip(exp.status, statusLabel(exp.status), 'export-status'),
    h('span', { class: 'muted' }, formatWhen(exp.created_at)),
    exp.result?.commit_sha ? h('code', { testid: 'export-commit', title: exp.result.commit_sha }, exp.result.commit_sha.slice(0, 10)) : null,
    running ? followExport(ctx, exp, projectName) : h('span', { class: 'links' }, resultLinks(exp, projectName)),
    exp.status === 'failed' && exp.error ? h('span', { class: 'step-error' }, sentence(exp.error)) : null,
  );
}

export async function mount(root, ctx, project) {
  const history = h('ul', { class: 'export-list', testid: 'export-history' });
  const generations = (await listAll(`/projects/${project.id}/generations`, 20)).filter((g) => g.status === 'ready');
  const latest = generations[0];
  const forge = forgeTargetFields('forge');
  const forgeForm = h(
    'form',
    { testid: 'forge-form', novalidate: true },
    h('h3', {}, 'To GitHub or GitLab'),
    h('p', { class: 'hint' }, 'Uses the token saved in ', h('a', { href: routeHref('settings') }, 'Settings'), '.'),
    forge.element,
    h('p', { class: 'form-error', role: 'alert', testid: 'forge-error', dataset: { errorFor: '' } }),
    h('button', { type: 'submit', class: 'button', testid: 'forge-export' }, 'Export'),
  );
  forgeForm.addEventListener('submit', (event) => {
    event.preventDefault();
    submitting(forgeForm, async () => {
      const exp = await api('POST', `/generations/${latest.id}/exports`, { target: forge.read() });
      history.prepend(historyRow(ctx, exp, project.name));
    });
  });
  const againError = h('p', { class: 'form-error', role: 'alert', testid: 'again-error' });
  const again = h('button', { type: 'button', class: 'button button-secondary', testid: 'export-again' }, 'Export again to every earlier target');
  again.addEventListener('click', async () => {
    again.disabled = true;
    againError.textContent = '';
    try {
      const answer = await api('POST', `/projects/${project.id}/exports`, {});
      for (const exp of answer.items ?? []) history.prepend(historyRow(ctx, exp, project.name));
    } catch (err) {
      againError.textContent = sentence(err.message);
    } finally {
      again.disabled = false;
    }
  });

  root.append(
    latest
      ? h(
          'section',
          { class: 'card', 'aria-labelledby': 'export-new' },
          h('h2', { id: 'export-new' }, 'Export the latest generation'),
          h('h3', {}, 'As an archive with its git history'),
          exportButtons(ctx, { generationId: latest.id, projectName: project.name, onFinish: () => load() }),
          forgeForm,
        )
      : h('p', { class: 'empty' }, 'Nothing to export yet: run the agents first.'),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'export-history-title' },
      h('h2', { id: 'export-history-title' }, 'History'),
      h('div', { class: 'actions' }, again),
      againError,
      history,
    ),
  );
  const load = async () => {
    const items = await listAll(`/projects/${project.id}/exports`, 50);
    replace(history, items.length ? items.map((exp) => historyRow(ctx, exp, project.name)) : h('li', { class: 'empty', testid: 'exports-empty' }, 'Not exported yet.'));
  };
  await load();
  if (!latest) ctx.watch(`project:${project.id}`, (event) => event.kind === 'generation_ready' && ctx.reload());
  let timer = null;
  ctx.onDispose(() => clearTimeout(timer));
  ctx.watch(`project:${project.id}`, (event) => {
    if (!['export_done', 'export_failed'].includes(event.kind) || timer) return;
    timer = setTimeout(() => {
      timer = null;
      load().catch(() => {});
    }, 300);
  });
}
