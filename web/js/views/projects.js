// The projects list: search, a status filter, and per project its last run and this month's cost.
// One request lists every project with its last run; each row listens on `project:{id}`, so a run
// starting or finishing elsewhere shows here without a reload.

import { api, listAll } from '../api.js';
import { chip, field, h, replace } from '../dom.js';
import { formatCost, formatTokens, formatWhen, statusLabel } from '../format.js';
import { routeHref } from '../routes.js';
import { applyProjectEvent, filterProjects } from '../state.js';

const STATUSES = ['', 'running', 'awaiting_approval', 'succeeded', 'failed', 'cancelled', 'budget_exceeded', 'none'];

async function lastRun(projectId) {
  const page = await api('GET', `/projects/${projectId}/executions?limit=1`);
  return page?.items?.[0] ?? null;
}

function row(project) {
  const status = project.lastRun?.status ?? 'none';
  return h(
    'li',
    { class: 'project-row', testid: 'project-row', dataset: { project: project.id, status } },
    h('a', { class: 'project-name', href: routeHref('project', { id: project.id }) }, project.name),
    h('p', { class: 'project-brief' }, project.brief),
    h(
      'dl',
      { class: 'facts' },
      h('div', {}, h('dt', {}, 'Status'), h('dd', {}, chip(status, statusLabel(status), 'project-status'))),
      h('div', {}, h('dt', {}, 'Last run'), h('dd', { testid: 'project-last-run' }, project.lastRun ? formatWhen(project.lastRun.created_at) : 'Never')),
      h('div', {}, h('dt', {}, 'Cost this month'), h('dd', { testid: 'project-cost' }, formatCost(project.cost))),
      h('div', {}, h('dt', {}, 'Tokens'), h('dd', {}, formatTokens(project.tokens))),
    ),
  );
}

export async function mount(root, ctx) {
  const search = h('input', { type: 'search', testid: 'project-search', autocomplete: 'off' });
  const status = h(
    'select',
    { testid: 'project-status-filter' },
    STATUSES.map((s) => h('option', { value: s }, s ? statusLabel(s) : 'Any status')),
  );
  const list = h('ul', { class: 'project-list', testid: 'project-list', 'aria-live': 'polite' });
  const count = h('p', { class: 'muted', testid: 'project-count' });
  root.append(
    h(
      'section',
      { class: 'page', testid: 'projects-view', 'aria-labelledby': 'projects-title' },
      h(
        'div',
        { class: 'page-head' },
        h('h1', { id: 'projects-title' }, 'Projects'),
        h('a', { class: 'button', href: routeHref('new'), testid: 'new-project' }, 'New project'),
      ),
      h('div', { class: 'filters', role: 'search' }, field('Search', search, { name: 'q' }), field('Status', status, { name: 'status' })),
      count,
      list,
    ),
  );

  const rows = [];
  // One request for every row: each project carries its `last_run` (an older API without it:
  // one request per project).
  const fetchAll = async () => {
    const [projects, usage] = await Promise.all([listAll('/projects'), api('GET', '/usage').catch(() => null)]);
    const spent = new Map((usage?.by_project ?? []).map((p) => [p.project_id, p]));
    return Promise.all(
      projects.map(async (p) => ({
        ...p,
        lastRun: 'last_run' in p ? p.last_run : await lastRun(p.id).catch(() => null),
        cost: spent.get(p.id)?.cost_usd ?? 0,
        tokens: spent.get(p.id)?.tokens ?? 0,
      })),
    );
  };
  rows.push(...(await fetchAll()));

  const draw = () => {
    const shown = filterProjects(rows, { query: search.value, status: status.value });
    if (rows.length === 0) {
      replace(list, h('li', { class: 'empty', testid: 'projects-empty' }, 'No projects yet. Start one with a brief: a few sentences are enough.'));
    } else if (shown.length === 0) {
      replace(list, h('li', { class: 'empty', testid: 'projects-empty' }, 'No project matches.'));
    } else {
      replace(list, shown.map(row));
    }
    count.textContent = `${shown.length} of ${rows.length} project${rows.length === 1 ? '' : 's'}`;
  };
  search.addEventListener('input', draw);
  status.addEventListener('change', draw);
  draw();

  // A run's start or end shows at once from the event; then, once per burst (a subscribe replays
  // a day of events), the whole list is fetched again for costs and the runs' details.
  let timer = null;
  ctx.onDispose(() => clearTimeout(timer));
  const refresh = () => {
    if (timer) return;
    timer = setTimeout(async () => {
      timer = null;
      const fresh = new Map((await fetchAll().catch(() => [])).map((p) => [p.id, p]));
      for (const project of rows) {
        const latest = fresh.get(project.id);
        if (latest) Object.assign(project, { lastRun: latest.lastRun, cost: latest.cost, tokens: latest.tokens });
      }
      draw();
    }, 300);
  };
  for (const project of rows) {
    ctx.watch(`project:${project.id}`, (event) => {
      if (!['execution_started', 'execution_finished', 'generation_ready', 'export_done'].includes(event.kind)) return;
      const before = project.lastRun;
      project.lastRun = applyProjectEvent(project.lastRun, event);
      if (project.lastRun !== before) draw();
      refresh();
    });
  }
}
