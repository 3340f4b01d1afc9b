// Agents and workflows: the built-in ones and your own; a new agent (its prompt, provider, model
// and output contract) and a new workflow (steps with their agent and dependencies), which a run
// can then use (the workflow picker in "Budget, approvals and workflow").

import { api, listAll } from '../api.js';
import { field, h, replace } from '../dom.js';
import { submitting } from '../forms.js';

const EXAMPLE_CONTRACT = {
  type: 'object',
  required: ['summary'],
  properties: { summary: { type: 'string', minLength: 1 } },
};

const EXAMPLE_STEPS = [
  { id: 'plan', agent: 'product-manager' },
  { id: 'architecture', agent: 'architect', depends_on: ['plan'] },
  { id: 'code', agent: 'engineer', depends_on: ['architecture'] },
  { id: 'review', agent: 'reviewer', depends_on: ['code'] },
];

function parseJson(text, fieldName) {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw Object.assign(new Error(`is not valid JSON: ${err.message}`), { field: fieldName, status: 400 });
  }
}

function agentForm(onCreated) {
  const name = h('input', { type: 'text', testid: 'agent-name', autocomplete: 'off' });
  const prompt = h('textarea', { rows: '4', testid: 'agent-prompt' });
  const provider = h('select', { testid: 'agent-provider' }, ['offline', 'openai', 'anthropic'].map((p) => h('option', { value: p }, p)));
  const model = h('input', { type: 'text', placeholder: 'offline-1', testid: 'agent-model', autocomplete: 'off' });
  const contract = h('textarea', { rows: '8', class: 'code-input', spellcheck: 'false', testid: 'agent-contract' });
  contract.value = JSON.stringify(EXAMPLE_CONTRACT, null, 2);
  const form = h(
    'form',
    { class: 'card', testid: 'agent-form', novalidate: true, 'aria-labelledby': 'agent-title' },
    h('h2', { id: 'agent-title' }, 'New agent'),
    field('Name', name, { name: 'name' }),
    field('System prompt', prompt, { name: 'system_prompt' }),
    h('div', { class: 'field-row' }, field('Provider', provider, { name: 'provider', hint: 'openai and anthropic use your key from Settings.' }), field('Model', model, { name: 'model' })),
    field('Output contract (JSON Schema of an object)', contract, { name: 'output_contract' }),
    h('p', { class: 'form-error', role: 'alert', dataset: { errorFor: '' }, testid: 'agent-error' }),
    h('button', { type: 'submit', class: 'button', testid: 'agent-create' }, 'Create agent'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submitting(form, async () => {
      const body = { name: name.value.trim(), system_prompt: prompt.value.trim(), output_contract: parseJson(contract.value, 'output_contract'), provider: provider.value };
      if (model.value.trim()) body.model = model.value.trim();
      await api('POST', '/agents', body);
      form.reset();
      contract.value = JSON.stringify(EXAMPLE_CONTRACT, null, 2);
      await onCreated();
    });
  });
  return form;
}

function workflowForm(onCreated) {
  const name = h('input', { type: 'text', testid: 'workflow-name', autocomplete: 'off' });
  const steps = h('textarea', { rows: '10', class: 'code-input', spellcheck: 'false', testid: 'workflow-steps' });
  steps.value = JSON.stringify(EXAMPLE_STEPS, null, 2);
  const form = h(
    'form',
    { class: 'card', testid: 'workflow-form', novalidate: true, 'aria-labelledby': 'workflow-title' },
    h('h2', { id: 'workflow-title' }, 'New workflow'),
    field('Name', name, { name: 'name' }),
    field('Steps (JSON: id, agent, depends_on, instructions)', steps, { name: 'steps' }),
    h('p', { class: 'form-error', role: 'alert', dataset: { errorFor: '' }, testid: 'workflow-error' }),
    h('button', { type: 'submit', class: 'button', testid: 'workflow-create' }, 'Create workflow'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submitting(form, async () => {
      await api('POST', '/workflows', { name: name.value.trim(), steps: parseJson(steps.value, 'steps') });
      form.reset();
      steps.value = JSON.stringify(EXAMPLE_STEPS, null, 2);
      await onCreated();
    });
  });
  return form;
}

export async function mount(root) {
  const agents = h('ul', { class: 'agent-list', testid: 'agent-list' });
  const workflows = h('ul', { class: 'agent-list', testid: 'workflow-list' });
  const load = async () => {
    const [a, w] = await Promise.all([listAll('/agents', 200), listAll('/workflows', 200)]);
    replace(agents, a.map((agent) => h('li', { testid: 'agent', dataset: { agent: agent.id } }, h('strong', {}, agent.name), ` · ${agent.id} · ${agent.provider ?? 'offline'} ${agent.model ?? ''}`)));
    replace(workflows, w.map((flow) => h('li', { testid: 'workflow', dataset: { workflow: flow.id } }, h('strong', {}, flow.name), ` · ${flow.steps.map((s) => `${s.id} (${s.agent})`).join(' → ')}`)));
  };
  root.append(
    h(
      'section',
      { class: 'page', testid: 'agents-view', 'aria-labelledby': 'agents-title' },
      h('h1', { id: 'agents-title' }, 'Agents and workflows'),
      h('div', { class: 'cards' }, h('section', { 'aria-labelledby': 'agents-list' }, h('h2', { id: 'agents-list' }, 'Agents'), agents), h('section', { 'aria-labelledby': 'workflows-list' }, h('h2', { id: 'workflows-list' }, 'Workflows'), workflows)),
      h('div', { class: 'cards' }, agentForm(load), workflowForm(load)),
    ),
  );
  await load();
}
