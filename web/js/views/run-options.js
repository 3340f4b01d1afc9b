// How a run starts: a budget (cost and tokens) and the steps to stop at for approval. Shared by
// the new-project form and the project's "Run again"; `retry` reuses the budget fields.

import { listAll } from '../api.js';
import { field, h, replace } from '../dom.js';

export const FULL_PROJECT_STEPS = [
  ['plan', 'Plan (stories and sprints)'],
  ['architecture', 'Architecture (file tree)'],
  ['code', 'Code'],
  ['tests', 'Tests'],
  ['review', 'Review'],
];

/** Budget fields: max cost (USD) and max tokens. */
export function budgetFields(prefix = 'budget') {
  const cost = h('input', { type: 'number', min: '0.000001', step: 'any', inputmode: 'decimal', testid: `${prefix}-cost` });
  const tokens = h('input', { type: 'number', min: '1', step: '1', inputmode: 'numeric', testid: `${prefix}-tokens` });
  return h(
    'div',
    { class: 'field-row' },
    field('Max cost (USD)', cost, { name: 'max_cost_usd' }),
    field('Max tokens', tokens, { name: 'max_tokens' }),
  );
}

/** {max_cost_usd?, max_tokens?} from a form's budget fields, or undefined when both are empty. */
export function readBudget(form) {
  const budget = {};
  const cost = form.elements.max_cost_usd?.value;
  const tokens = form.elements.max_tokens?.value;
  if (cost) budget.max_cost_usd = Number(cost);
  if (tokens) budget.max_tokens = Number(tokens);
  return Object.keys(budget).length ? budget : undefined;
}

const gate = (id, label) =>
  h('label', { class: 'choice' }, h('input', { type: 'checkbox', name: 'approvals', value: id, testid: `gate-${id}` }), ` ${label}`);

export function runOptions() {
  const gates = h('div', { class: 'choices' }, FULL_PROJECT_STEPS.map(([id, label]) => gate(id, label)));
  const workflow = h('select', { name: 'workflow', testid: 'run-workflow' }, h('option', { value: 'full-project' }, 'Full project'));
  // Your own workflows (Agents) too; the gates follow the chosen workflow's steps.
  listAll('/workflows', 200)
    .then((flows) => {
      const usable = flows.filter((flow) => flow.id !== 'change');
      replace(workflow, usable.map((flow) => h('option', { value: flow.id }, flow.name)));
      workflow.value = 'full-project';
      workflow.addEventListener('change', () => {
        const flow = usable.find((f) => f.id === workflow.value);
        replace(gates, (flow?.steps ?? []).map((step) => gate(step.id, `${step.id} (${step.agent})`)));
      });
    })
    .catch(() => {});
  const element = h(
    'details',
    { class: 'options', testid: 'run-options' },
    h('summary', {}, 'Budget, approvals and workflow'),
    field('Workflow', workflow, { name: 'workflow' }),
    budgetFields(),
    h(
      'fieldset',
      { class: 'field' },
      h('legend', {}, 'Stop for my approval after'),
      gates,
      h('p', { class: 'field-error', dataset: { errorFor: 'approvals' } }),
    ),
    field('Hours to answer an approval', h('input', { type: 'number', min: '1', step: '1', placeholder: '72', testid: 'approval-hours' }), { name: 'approval_hours', hint: 'After that the run is cancelled.' }),
    h('p', { class: 'field-error', dataset: { errorFor: 'budget' } }),
  );
  return { element };
}

/** The body of `POST /projects/{id}/executions` from the options' fields. */
export function readRunOptions(form) {
  const body = {};
  const workflow = form.elements.workflow?.value;
  if (workflow && workflow !== 'full-project') body.workflow = workflow;
  const budget = readBudget(form);
  if (budget) body.budget = budget;
  const approvals = [...form.querySelectorAll('input[name="approvals"]:checked')].map((box) => box.value);
  if (approvals.length) body.approvals = approvals;
  const hours = form.elements.approval_hours?.value;
  if (approvals.length && hours) body.approval_hours = Number(hours);
  return body;
}
