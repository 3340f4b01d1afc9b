// A project's own settings: name, brief, template and automatic export (PATCH with the version
// read, so a change made meanwhile elsewhere is refused, not overwritten), and deleting it.

import { api } from '../api.js';
import { confirmation, field, h } from '../dom.js';
import { sentence } from '../format.js';
import { submitting } from '../forms.js';

export async function mount(root, ctx, project) {
  let current = project;
  const name = h('input', { type: 'text', maxlength: '100', testid: 'edit-name', value: project.name });
  const brief = h('textarea', { rows: '5', maxlength: '20000', testid: 'edit-brief' });
  brief.value = project.brief;
  const template = h(
    'select',
    { testid: 'edit-template' },
    ['rust-axum', 'python-fastapi', 'react-vite'].map((t) => h('option', { value: t, selected: t === project.template }, t)),
  );
  const autoExport = h('input', { type: 'checkbox', testid: 'edit-auto-export', checked: Boolean(project.settings?.auto_export) });
  const saved = h('p', { role: 'status', testid: 'edit-saved' });
  const form = h(
    'form',
    { class: 'card', testid: 'project-edit', novalidate: true, 'aria-labelledby': 'edit-title' },
    h('h2', { id: 'edit-title' }, 'Project'),
    field('Name', name, { name: 'name' }),
    field('Brief', brief, { name: 'brief', hint: 'The next run reads it.' }),
    field('Template', template, { name: 'template' }),
    h('label', { class: 'choice' }, autoExport, ' Export automatically whenever a generation is ready'),
    h('p', { class: 'form-error', role: 'alert', testid: 'edit-error', dataset: { errorFor: '' } }),
    h('button', { type: 'submit', class: 'button', testid: 'edit-save' }, 'Save'),
    saved,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    saved.textContent = '';
    submitting(form, async () => {
      try {
        current = await api('PATCH', `/projects/${project.id}`, {
          version: current.version,
          name: name.value.trim(),
          brief: brief.value.trim(),
          template: template.value,
          settings: { ...current.settings, auto_export: autoExport.checked },
        });
      } catch (err) {
        if (err.status === 409) {
          err.message = 'Someone changed this project meanwhile. Reload the page to see their version, then edit again';
          err.field = null;
        }
        throw err;
      }
      saved.textContent = `Saved (version ${current.version}).`;
      document.querySelector('[data-testid="project-title"]').textContent = current.name;
    });
  });

  const danger = h('p', { class: 'form-error', role: 'alert', testid: 'delete-error' });
  const remove = h('button', { type: 'button', class: 'button button-secondary', testid: 'delete-project' }, 'Delete project');
  const [confirm, cancel] = confirmation(remove, {
    label: `Yes, delete “${project.name}”`,
    testid: 'delete-confirm',
    onConfirm: async (button) => {
      button.disabled = true;
      try {
        await api('DELETE', `/projects/${project.id}`);
        ctx.navigate('projects');
      } catch (err) {
        danger.textContent = sentence(err.message);
        button.disabled = false;
      }
    },
  });
  root.append(
    form,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'delete-title' },
      h('h2', { id: 'delete-title' }, 'Delete'),
      h('p', { class: 'hint' }, 'Its runs, generations, files, exports and git history go; its schedule and webhooks stop at once.'),
      h('div', { class: 'actions' }, remove, confirm, cancel),
      danger,
    ),
  );
}
