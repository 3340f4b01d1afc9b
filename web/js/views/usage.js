// Usage: what a month cost, per project and per model, and the monthly budget.

import { api, listAll } from '../api.js';
import { h, replace } from '../dom.js';
import { formatCost, formatCount, formatTokens } from '../format.js';
import { submitting } from '../forms.js';
import { routeHref } from '../routes.js';
import { budgetFields, readBudget } from './run-options.js';

function table(caption, head, rows, testid) {
  return h(
    'table',
    { class: 'table', testid },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: String(head.length) }, 'Nothing this month.'))),
  );
}

export async function mount(root, ctx) {
  const month = h('input', { type: 'month', id: 'usage-month', testid: 'usage-month', value: ctx.params.month ?? new Date().toISOString().slice(0, 7) });
  const summary = h('div', { testid: 'usage-summary' });
  const tables = h('div', { class: 'usage-tables' });
  const prices = h('details', { class: 'card', testid: 'prices' }, h('summary', {}, 'List prices'));
  const budgetStatus = h('p', { testid: 'budget-status', role: 'status' });
  const form = h(
    'form',
    { class: 'card', testid: 'budget-form', novalidate: true, 'aria-labelledby': 'budget-title' },
    h('h2', { id: 'budget-title' }, 'Monthly budget'),
    budgetStatus,
    h('p', { class: 'hint' }, 'Runs stop once the month reaches it. Leave both empty for none.'),
    budgetFields('monthly'),
    h('p', { class: 'form-error', role: 'alert', dataset: { errorFor: '' }, testid: 'budget-error' }),
    h('button', { type: 'submit', class: 'button', testid: 'budget-save' }, 'Save budget'),
  );
  root.append(
    h(
      'section',
      { class: 'page', testid: 'usage-view', 'aria-labelledby': 'usage-title' },
      h('h1', { id: 'usage-title' }, 'Usage'),
      h('div', { class: 'field field-inline' }, h('label', { for: 'usage-month' }, 'Month'), month),
      summary,
      tables,
      form,
      prices,
    ),
  );
  api('GET', '/prices')
    .then((list) =>
      replace(
        prices,
        h('summary', {}, `List prices (${list.currency} per million tokens, as of ${list.updated})`),
        table('What budgets and estimates count with', ['Model', 'Input', 'Output'], list.models.map((m) => h('tr', {}, h('th', { scope: 'row' }, `${m.prefix}…`), h('td', {}, formatCost(m.input_per_million)), h('td', {}, formatCost(m.output_per_million)))), 'prices'),
      ),
    )
    .catch(() => {});
  const names = new Map((await listAll('/projects', 500)).map((p) => [p.id, p.name]));

  const load = async () => {
    const usage = await api('GET', `/usage?month=${encodeURIComponent(month.value)}`);
    const budget = usage.budget ?? {};
    const parts = [budget.max_cost_usd ? formatCost(budget.max_cost_usd) : null, budget.max_tokens ? `${formatTokens(budget.max_tokens)} tokens` : null].filter(Boolean);
    budgetStatus.textContent = parts.length ? `Budget: ${parts.join(' and ')} a month.` : 'No monthly budget.';
    form.elements.max_cost_usd.value = budget.max_cost_usd ?? '';
    form.elements.max_tokens.value = budget.max_tokens ?? '';
    replace(summary, h('p', { class: 'big-number' }, h('strong', { testid: 'usage-cost' }, formatCost(usage.spent.cost_usd)), ` and ${formatCount(usage.spent.tokens)} tokens in ${usage.month}`));
    replace(
      tables,
      table('Per project', ['Project', 'Tokens', 'Cost'], usage.by_project.map((p) => h('tr', {}, h('th', { scope: 'row' }, names.has(p.project_id) ? h('a', { href: routeHref('project', { id: p.project_id }) }, names.get(p.project_id)) : 'Deleted project'), h('td', {}, formatCount(p.tokens)), h('td', {}, formatCost(p.cost_usd)))), 'usage-projects'),
      table('Per model', ['Model', 'Tokens', 'Cost'], usage.by_model.map((m) => h('tr', {}, h('th', { scope: 'row' }, m.model), h('td', {}, formatCount(m.tokens)), h('td', {}, formatCost(m.cost_usd)))), 'usage-models'),
    );
  };
  month.addEventListener('change', () => ctx.navigate('usage', { month: month.value }));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submitting(form, async () => {
      await api('PUT', '/usage/budget', readBudget(form) ?? {});
      await load();
    });
  });
  await load();
}
