// The project's runs: each with status, duration, tokens and cost; the estimate of a new run;
// "Run again" with a budget and approval gates. `project:{id}` reloads the list when a run ends,
// and each unfinished run's row follows its `execution:{id}`.

import { api } from '../api.js';
import { chip, h, replace } from '../dom.js';
import { durationBetween, formatCost, formatDuration, formatTokens, formatWhen, statusLabel } from '../format.js';
import { submitting } from '../forms.js';
import { routeHref } from '../routes.js';
import { applyExecutionEvent, isFinished, timeline } from '../state.js';
import { readRunOptions, runOptions } from './run-options.js';

/** The run's steps as one strip of bars on its time axis (the run page has the full timeline). */
function miniTimeline(run) {
  if (!run.steps?.length) return null;
  return h(
    'span',
    { class: 'mini-timeline', testid: 'run-timeline', 'aria-hidden': 'true' },
    timeline(run).map((bar) => {
      const fill = h('span', { class: 'bar-fill', dataset: { status: bar.status } });
      fill.style.left = `${bar.left}%`;
      fill.style.width = `${bar.width}%`;
      return fill;
    }),
  );
}

function runRow(projectId, run) {
  const t = run.totals ?? {};
  return h(
    'li',
    { class: 'run-row', testid: 'run-row', dataset: { run: run.id, status: run.status } },
    h('a', { href: routeHref('run', { id: projectId, run: run.id }) }, `${run.workflow?.name ?? 'Run'} · ${formatWhen(run.created_at)}`),
    chip(run.status, statusLabel(run.status), 'run-status'),
    miniTimeline(run),
    h(
      'span',
      { class: 'run-facts' },
      h('span', { testid: 'run-duration' }, formatDuration(durationBetween(run.created_at, run.finished_at))),
      h('span', { testid: 'run-tokens' }, `${formatTokens((t.input_tokens ?? 0) + (t.output_tokens ?? 0))} tokens`),
      h('span', { testid: 'run-cost' }, formatCost(t.cost_usd)),
    ),
  );
}

function estimateView(estimate) {
  return h(
    'div',
    { class: 'estimate', testid: 'estimate' },
    h('p', {}, `Estimate for ${estimate.workflow}: `, h('strong', { testid: 'estimate-total' }, `${formatTokens(estimate.tokens.low)}–${formatTokens(estimate.tokens.high)} tokens, ${formatCost(estimate.cost_usd.low)}–${formatCost(estimate.cost_usd.high)}`)),
    h(
      'table',
      { class: 'table' },
      h('caption', { class: 'visually-hidden' }, 'Estimate per step'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Step'), h('th', { scope: 'col' }, 'Model'), h('th', { scope: 'col' }, 'Tokens'), h('th', { scope: 'col' }, 'Cost'))),
      h(
        'tbody',
        {},
        estimate.steps.map((s) =>
          h('tr', {}, h('th', { scope: 'row' }, s.step), h('td', {}, s.model), h('td', {}, `${formatTokens(s.input_tokens.low + s.output_tokens.low)}–${formatTokens(s.input_tokens.high + s.output_tokens.high)}`), h('td', {}, `${formatCost(s.cost_usd.low)}–${formatCost(s.cost_usd.high)}`)),
        ),
      ),
    ),
  );
}

export async function mount(root, ctx, project) {
  const list = h('ol', { class: 'run-list', testid: 'run-list' });
  const estimateSlot = h('div');
  const options = runOptions();
  const form = h(
    'form',
    { class: 'card', testid: 'run-form', novalidate: true },
    h('h2', {}, 'Run the agents again'),
    estimateSlot,
    options.element,
    h('p', { class: 'form-error', role: 'alert', testid: 'run-form-error', dataset: { errorFor: '' } }),
    h('button', { type: 'submit', class: 'button', testid: 'run-again' }, 'Start a run'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submitting(form, async () => {
      const run = await api('POST', `/projects/${project.id}/executions`, readRunOptions(form));
      ctx.navigate('run', { id: project.id, run: run.id });
    });
  });
  root.append(h('h2', { class: 'visually-hidden' }, 'Runs'), list, form);

  const watched = new Set();
  const load = async () => {
    const page = await api('GET', `/projects/${project.id}/executions?limit=20`);
    const runs = await Promise.all((page?.items ?? []).map((r) => api('GET', `/executions/${r.id}`).catch(() => r)));
    if (runs.length === 0) replace(list, h('li', { class: 'empty' }, 'No runs yet.'));
    else replace(list, runs.map((run) => runRow(project.id, run)));
    for (const run of runs) {
      if (isFinished(run.status) || watched.has(run.id)) continue;
      watched.add(run.id);
      let live = run;
      ctx.watch(`execution:${run.id}`, (event) => {
        live = applyExecutionEvent(live, event);
        list.querySelector(`[data-run="${CSS.escape(run.id)}"]`)?.replaceWith(runRow(project.id, live));
      });
    }
  };
  await load();
  const estimate = (workflow = 'full-project') =>
    api('GET', `/projects/${project.id}/estimate?workflow=${encodeURIComponent(workflow)}`)
      .then((answer) => replace(estimateSlot, estimateView(answer)))
      .catch(() => replace(estimateSlot));
  estimate();
  form.addEventListener('change', (event) => {
    if (event.target.name === 'workflow') estimate(event.target.value);
  });
  let timer = null;
  ctx.onDispose(() => clearTimeout(timer));
  ctx.watch(`project:${project.id}`, (event) => {
    if (event.kind !== 'execution_finished' || timer) return;
    timer = setTimeout(() => {
      timer = null;
      load().catch(() => {});
    }, 150);
  });
}
