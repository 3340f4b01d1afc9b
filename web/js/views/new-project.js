// A new project from a brief; its first run starts at once (optionally with a budget and gates).

import { api } from '../api.js';
import { field, h } from '../dom.js';
import { submitting } from '../forms.js';
import { importFields } from './import.js';
import { runOptions, readRunOptions } from './run-options.js';

export function mount(root, ctx) {
  const name = h('input', { type: 'text', maxlength: '100', required: true, testid: 'project-name' });
  const brief = h('textarea', { rows: '6', maxlength: '20000', required: true, testid: 'project-brief' });
  const template = h(
    'select',
    { testid: 'project-template' },
    h('option', { value: 'rust-axum' }, 'Rust · axum'),
    h('option', { value: 'python-fastapi' }, 'Python · FastAPI'),
    h('option', { value: 'react-vite' }, 'React · Vite'),
  );
  const options = runOptions();
  const imports = importFields();
  const agents = h('input', { type: 'radio', name: 'start', value: 'agents', checked: true, testid: 'start-agents' });
  const existing = h('input', { type: 'radio', name: 'start', value: 'import', testid: 'start-import' });
  const startFrom = h(
    'fieldset',
    { class: 'field' },
    h('legend', {}, 'Start from'),
    h('div', { class: 'choices' }, h('label', { class: 'choice' }, agents, ' The brief: the agents write it'), h('label', { class: 'choice' }, existing, ' An existing repository')),
  );
  imports.element.hidden = true;
  const submit = h('button', { type: 'submit', class: 'button', testid: 'start' }, 'Create and run');
  const choose = () => {
    imports.element.hidden = !existing.checked;
    options.element.hidden = existing.checked;
    submit.textContent = existing.checked ? 'Create and import' : 'Create and run';
  };
  agents.addEventListener('change', choose);
  existing.addEventListener('change', choose);
  const form = h(
    'form',
    { testid: 'brief-form', novalidate: true },
    field('Name', name, { name: 'name' }),
    field('Brief', brief, { name: 'brief', hint: 'What should it do, and for whom? A few sentences are enough.' }),
    field('Template', template, { name: 'template' }),
    startFrom,
    options.element,
    imports.element,
    h('p', { class: 'form-error', role: 'alert', testid: 'brief-error', dataset: { errorFor: '' } }),
    h('div', { class: 'actions' }, submit),
  );
  let created = null;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submitting(form, async () => {
      const body = readRunOptions(form);
      const project = created ?? (await api('POST', '/projects', {
        name: name.value.trim(),
        brief: brief.value.trim(),
        template: template.value,
      }));
      // A refused import (no archive chosen) keeps the project for the next try.
      created = project;
      if (existing.checked) {
        await imports.start(project);
        ctx.navigate('project', { id: project.id, tab: 'files' });
        return;
      }
      const run = await api('POST', `/projects/${project.id}/executions`, body);
      ctx.navigate('run', { id: project.id, run: run.id });
    });
  });
  root.append(
    h(
      'section',
      { class: 'card', testid: 'brief-view', 'aria-labelledby': 'brief-title' },
      h('h1', { id: 'brief-title' }, 'New project'),
      form,
    ),
  );
  name.focus();
}
