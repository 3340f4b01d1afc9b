// One run: its status, duration, tokens, cost and budget, a per-step timeline that moves live
// (`execution:{id}`), the approval of a waiting step, cancel and retry, then its generation's
// files being written (`generation:{id}`) and a quick archive export.

import { api } from '../api.js';
import { announce, chip, h, replace } from '../dom.js';
import { durationBetween, formatCost, formatCount, formatDuration, formatTokens, sentence, statusLabel } from '../format.js';
import { submitting } from '../forms.js';
import { routeHref } from '../routes.js';
import { applyExecutionEvent, isFinished, waitingStep } from '../state.js';
import { approvalPanel } from './approval.js';
import { exportButtons } from './export-panel.js';
import { budgetFields, readBudget } from './run-options.js';
import { renderTimeline } from './timeline.js';

const RETRYABLE = new Set(['failed', 'cancelled', 'budget_exceeded']);

export async function mount(root, ctx) {
  const { id: projectId, run: runId } = ctx.params;
  const [project, first] = await Promise.all([api('GET', `/projects/${projectId}`), api('GET', `/executions/${runId}`)]);
  let execution = first;

  const status = h('p', { class: 'run-status', testid: 'execution-status', dataset: { status: execution.status } });
  const facts = h('dl', { class: 'facts', testid: 'run-facts' });
  const steps = h('ol', { class: 'steps timeline', testid: 'steps', 'aria-label': 'Steps' });
  const approval = h('div', { testid: 'approval-slot' });
  const actions = h('div', { class: 'actions' });
  const files = h('div', { class: 'meter', hidden: true, testid: 'files-meter' });
  const exportSlot = h('div', { testid: 'export-slot' });
  const error = h('p', { class: 'form-error', role: 'alert', testid: 'run-error' });

  root.append(
    h(
      'section',
      { class: 'page', testid: 'run-view', dataset: { run: runId } },
      h('p', { class: 'crumbs' }, h('a', { href: routeHref('projects') }, 'Projects'), ' / ', h('a', { href: routeHref('project', { id: projectId }), testid: 'project-link' }, project.name)),
      h('h1', { id: 'run-title', tabindex: '-1', testid: 'run-title' }, `${project.name}: ${execution.workflow?.name ?? 'run'}`),
      status,
      facts,
      approval,
      h('h2', {}, 'Steps'),
      steps,
      files,
      error,
      actions,
      exportSlot,
    ),
  );

  const draw = () => {
    status.dataset.status = execution.status;
    replace(status, chip(execution.status, statusLabel(execution.status), 'run-status-chip'), execution.error ? ` ${sentence(execution.error)}` : '');
    const t = execution.totals ?? {};
    const budget = execution.budget ?? {};
    const limit = [budget.max_cost_usd ? formatCost(budget.max_cost_usd) : null, budget.max_tokens ? `${formatTokens(budget.max_tokens)} tokens` : null]
      .filter(Boolean)
      .join(' · ');
    replace(
      facts,
      fact('Duration', formatDuration(durationBetween(execution.created_at, execution.finished_at)), 'run-duration'),
      fact('Tokens', `${formatCount(t.input_tokens)} in · ${formatCount(t.output_tokens)} out`, 'run-tokens'),
      fact('Cost', formatCost(t.cost_usd), 'run-cost'),
      fact('Budget', limit || 'None', 'run-budget'),
    );
    renderTimeline(steps, execution);
    drawActions();
    // The artifact is not in the event: the panel waits for the run's reload, which has it.
    const found = waitingStep(execution);
    const waiting = found?.output ? found : null;
    const key = waiting ? `${waiting.id}:${waiting.output ? 'output' : ''}:${waiting.rejections ?? 0}` : '';
    if (waiting && approval.dataset.step !== key) {
      approval.dataset.step = key;
      replace(approval, approvalPanel(execution, waiting, { onDone: reload }));
    } else if (!waiting && approval.dataset.step) {
      delete approval.dataset.step;
      replace(approval);
    }
  };

  // Redrawn only when the status changes, so a focused button stays where it is.
  const drawActions = () => {
    if (actions.dataset.for === execution.status) return;
    actions.dataset.for = execution.status;
    if (!isFinished(execution.status)) {
      replace(actions, h('button', { type: 'button', class: 'button button-secondary', testid: 'cancel-run', onclick: cancel }, 'Cancel run'));
    } else if (RETRYABLE.has(execution.status)) {
      replace(actions, retryForm());
    } else {
      replace(actions);
    }
  };

  const retryForm = () => {
    const form = h(
      'form',
      { class: 'retry', testid: 'retry-form', novalidate: true },
      h('h2', {}, 'Go on from where it stopped'),
      h('p', { class: 'hint' }, 'Finished steps are kept; a raised budget goes on from there.'),
      budgetFields('retry'),
      h('p', { class: 'form-error', role: 'alert', dataset: { errorFor: '' } }),
      h('button', { type: 'submit', class: 'button', testid: 'retry' }, 'Retry'),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      submitting(form, async () => {
        const budget = readBudget(form);
        execution = await api('POST', `/executions/${runId}/retry`, budget ? { budget } : {});
        draw();
      });
    });
    return form;
  };

  async function cancel() {
    try {
      execution = await api('POST', `/executions/${runId}/cancel`);
      draw();
    } catch (err) {
      error.textContent = sentence(err.message);
    }
  }

  async function reload() {
    execution = await api('GET', `/executions/${runId}`);
    draw();
  }

  const showFiles = (written, total, done, bytes) => {
    files.hidden = false;
    const bar = h('progress', { max: String(Math.max(total, 1)), value: String(Math.min(written, total)), 'aria-labelledby': 'files-label', testid: 'files-progress' });
    const text = done
      ? `${formatCount(total)} files written${bytes ? ` (${Math.round(bytes / 1024)} KiB)` : ''}`
      : `${formatCount(written)} of ${formatCount(total)} files written`;
    replace(files, h('span', { id: 'files-label', class: 'meter-label' }, 'Files'), bar, h('span', { class: 'meter-text', testid: 'files-text', dataset: { state: done ? 'done' : 'running' } }, text));
  };

  const onGeneration = (event) => {
    if (event.kind === 'files_written') showFiles(event.written, event.total, false);
    if (event.kind === 'generation_ready') {
      showFiles(event.files, event.files, true, event.bytes);
      announce(`All ${event.files} files written.`);
      replace(
        exportSlot,
        h(
          'p',
          { class: 'links' },
          h('a', { href: routeHref('project', { id: projectId, tab: 'files', gen: runId }), testid: 'browse-files' }, 'Browse the files'),
          ' · ',
          h('a', { href: routeHref('project', { id: projectId, tab: 'plan', execution: runId }) }, 'See the plan'),
        ),
        exportButtons(ctx, { generationId: runId, projectName: project.name }),
      );
    }
    if (event.kind === 'generation_failed') error.textContent = sentence(event.error);
  };

  let generationWatched = false;
  const watchGeneration = () => {
    if (generationWatched) return;
    generationWatched = true;
    ctx.watch(`generation:${runId}`, onGeneration);
  };

  ctx.watch(`execution:${runId}`, (event) => {
    execution = applyExecutionEvent(execution, event);
    draw();
    // The artifact to approve is not in the event: the run has it.
    if (event.kind === 'approval_requested') reload().catch(() => {});
    if (event.kind === 'execution_finished') announce(`Run ${statusLabel(event.status).toLowerCase()}.`);
    if (execution.status === 'succeeded') watchGeneration();
  });
  if (execution.status === 'succeeded') watchGeneration();

  // The clock moves running bars and the duration; it reads nothing from the server.
  const clock = setInterval(() => {
    if (!isFinished(execution.status) && execution.status !== 'awaiting_approval') draw();
  }, 1000);
  ctx.onDispose(() => clearInterval(clock));
  draw();
}

function fact(label, value, testid) {
  return h('div', {}, h('dt', {}, label), h('dd', { testid }, value));
}
