// A run's steps as a timeline: per step its status, attempts, tokens, cost and a bar from its
// start to its end on the run's time axis. Redrawn from the execution on every event; a running
// step's bar grows with the clock.

import { chip, h, replace } from '../dom.js';
import { formatCost, formatDuration, formatTokens, statusLabel } from '../format.js';
import { timeline } from '../state.js';

export function renderTimeline(list, execution) {
  const bars = new Map(timeline(execution).map((bar) => [bar.id, bar]));
  replace(
    list,
    (execution.steps ?? []).map((step) => {
      const bar = bars.get(step.id);
      const fill = h('span', { class: 'bar-fill', dataset: { status: step.status } });
      fill.style.left = `${bar.left}%`;
      fill.style.width = `${bar.width}%`;
      const tokens = step.input_tokens || step.output_tokens
        ? `${formatTokens(step.input_tokens)} in · ${formatTokens(step.output_tokens)} out`
        : '';
      return h(
        'li',
        { class: 'step', testid: 'step', dataset: { step: step.id, status: step.status } },
        h('span', { class: 'step-name' }, step.id),
        h('span', { class: 'step-agent' }, step.agent ?? ''),
        chip(step.status, statusLabel(step.status), 'step-status'),
        h('span', { class: 'bar', 'aria-hidden': 'true' }, fill),
        h(
          'span',
          { class: 'step-facts' },
          h('span', { testid: 'step-duration' }, bar.ms ? formatDuration(bar.ms) : ''),
          h('span', { testid: 'step-tokens' }, tokens),
          h('span', { testid: 'step-cost' }, step.status === 'succeeded' ? formatCost(step.cost_usd) : ''),
          step.attempts > 1 ? h('span', {}, `${step.attempts} attempts`) : null,
        ),
        step.error ? h('span', { class: 'step-error', testid: 'step-error' }, step.error) : null,
      );
    }),
  );
}
