// What the page knows about a run, kept current by its live events; and the projects list's
// search. Pure: every function returns a new value (tests/browser/unit/state.test.mjs).

const FINISHED = new Set(['succeeded', 'failed', 'cancelled', 'budget_exceeded']);

export function isFinished(status) {
  return FINISHED.has(status);
}

function withStep(execution, stepId, change) {
  const steps = execution.steps ?? [];
  const known = steps.some((step) => step.id === stepId);
  const next = known
    ? steps.map((step) => (step.id === stepId ? { ...step, ...change(step) } : step))
    : [...steps, { id: stepId, status: 'pending', input_tokens: 0, output_tokens: 0, cost_usd: 0, ...change({}) }];
  return { ...execution, steps: next };
}

/** Totals from the steps (the API's `totals`, recomputed as events arrive). */
export function totals(execution) {
  const sum = { input_tokens: 0, output_tokens: 0, cost_usd: 0 };
  for (const step of execution.steps ?? []) {
    sum.input_tokens += step.input_tokens || 0;
    sum.output_tokens += step.output_tokens || 0;
    sum.cost_usd += step.cost_usd || 0;
  }
  return sum;
}

/** One `execution:{id}` event applied to the execution as `GET /executions/{id}` shows it. */
export function applyExecutionEvent(execution, event) {
  let next;
  switch (event.kind) {
    case 'step_started':
      next = withStep(execution, event.step, (step) => ({
        status: 'running',
        error: null,
        output: undefined,
        started_at: step.status === 'running' && step.started_at ? step.started_at : event.at,
        finished_at: null,
      }));
      if (!isFinished(next.status)) next.status = 'running';
      break;
    case 'step_progress':
      next = withStep(execution, event.step, (step) => ({ output_tokens: Math.max(step.output_tokens || 0, event.output_tokens || 0) }));
      break;
    case 'step_completed':
      next = withStep(execution, event.step, (step) => ({
        status: 'succeeded',
        input_tokens: event.input_tokens,
        output_tokens: event.output_tokens,
        cost_usd: event.cost_usd ?? step.cost_usd,
        attempts: event.attempts ?? step.attempts,
        finished_at: event.at,
        duration_ms: step.started_at ? Date.parse(event.at) - Date.parse(step.started_at) : step.duration_ms,
      }));
      break;
    case 'step_failed':
      next = withStep(execution, event.step, () => ({ status: 'failed', error: event.error, finished_at: event.at }));
      break;
    case 'approval_requested':
      next = withStep(execution, event.step, () => ({ status: 'awaiting_approval' }));
      next.status = 'awaiting_approval';
      next.approval_deadline = event.deadline;
      break;
    case 'approval_given':
      next = withStep(execution, event.step, () => ({ status: 'succeeded' }));
      next.status = 'running';
      break;
    case 'approval_rejected':
      next = withStep(execution, event.step, (step) => ({
        status: 'queued',
        rejections: (step.rejections || 0) + 1,
        feedback: event.feedback,
        output: undefined,
      }));
      next.status = 'running';
      break;
    case 'execution_finished':
      next = { ...execution, status: event.status, error: event.error ?? null, finished_at: event.at };
      break;
    default:
      return execution;
  }
  return { ...next, totals: totals(next) };
}

/**
 * The timeline's bars: per step its offset and width in percent of the run so far.
 * `now` moves a running step's bar while it runs.
 */
export function timeline(execution, now = Date.now()) {
  const start = Date.parse(execution.created_at);
  const stepsEnd = (execution.steps ?? []).map((s) => (s.finished_at ? Date.parse(s.finished_at) : s.started_at ? now : 0));
  const end = execution.finished_at ? Date.parse(execution.finished_at) : Math.max(now, ...stepsEnd);
  const span = Math.max(1, end - start);
  return (execution.steps ?? []).map((step) => {
    if (!step.started_at) return { id: step.id, status: step.status, left: 0, width: 0, ms: 0 };
    const from = Date.parse(step.started_at);
    const to = step.finished_at ? Date.parse(step.finished_at) : step.status === 'running' ? now : from;
    const left = Math.min(100, Math.max(0, ((from - start) / span) * 100));
    const width = Math.min(100 - left, Math.max(0.5, ((to - from) / span) * 100));
    return { id: step.id, status: step.status, left, width, ms: Math.max(0, to - from) };
  });
}

/** The projects list's rows that match a search text (name or brief) and a status filter. */
export function filterProjects(rows, { query = '', status = '' } = {}) {
  const needle = query.trim().toLowerCase();
  return rows.filter((row) => {
    const text = `${row.name} ${row.brief ?? ''}`.toLowerCase();
    if (needle && !text.includes(needle)) return false;
    if (status && (row.lastRun?.status ?? 'none') !== status) return false;
    return true;
  });
}

/** The step a run waits on for its owner's approval, if any. */
export function waitingStep(execution) {
  return (execution.steps ?? []).find((step) => step.status === 'awaiting_approval') ?? null;
}

/**
 * A project's last run (an item of `GET /projects/{id}/executions`, or null) after one
 * `project:{id}` event: a newer run's `execution_started` makes it that run, running; its
 * `execution_finished` sets its status. A replayed older event changes nothing.
 */
export function applyProjectEvent(lastRun, event) {
  const at = event.at ?? new Date().toISOString();
  if (event.kind === 'execution_started') {
    if (lastRun && (lastRun.id === event.execution_id || Date.parse(lastRun.created_at) >= Date.parse(at))) return lastRun;
    return { id: event.execution_id, status: 'running', created_at: at, updated_at: at };
  }
  if (event.kind === 'execution_finished' && lastRun?.id === event.execution_id && !isFinished(lastRun.status)) {
    return { ...lastRun, status: event.status, updated_at: at };
  }
  return lastRun;
}
