// A new project from a brief; its first run starts at once (optionally with a budget and gates).

import { api } from '../api.js';
import { field, h } from '../dom.js';
import { submitting } from '../forms.js';
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
  const form = h(
    'form',
    { testid: 'brief-form', novalidate: true },
    field('Name', name, { name: 'name' }),
    field('Brief', brief, { name: 'brief', hint: 'What should it do, and for whom? A few sentences are enough.' }),
    field('Template', template, { name: 'template' }),
    options.element,
    h('p', { class: 'form-error', role: 'alert', testid: 'brief-error', dataset: { errorFor: '' } }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button', testid: 'start' }, 'Create and run')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submitting(form, async () => {
      const body = readRunOptions(form);
      const project = await api('POST', '/projects', {
        name: name.value.trim(),
        brief: brief.value.trim(),
        template: template.value,
      });
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
