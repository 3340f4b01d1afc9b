// Change requests and diffs: ask for a change (the built-in `change` workflow, followed on its run
// page), and see what any generation changed against its parent or another generation.

import { api, listAll } from '../api.js';
import { field, h, replace } from '../dom.js';
import { formatCount, formatWhen } from '../format.js';
import { submitting } from '../forms.js';

function patchView(patch) {
  const pre = h('pre', { class: 'code diff', tabindex: '0' });
  for (const line of patch.split('\n')) {
    const kind = line.startsWith('+') && !line.startsWith('+++') ? 'add' : line.startsWith('-') && !line.startsWith('---') ? 'del' : line.startsWith('@@') ? 'hunk' : 'ctx';
    pre.append(h('span', { class: `diff-${kind}` }, `${line}\n`));
  }
  return pre;
}

function diffFile(file) {
  const name = file.old_path ? `${file.old_path} → ${file.path}` : file.path;
  return h(
    'li',
    { testid: 'diff-file', dataset: { status: file.status } },
    h(
      'details',
      {},
      h('summary', {}, h('span', { class: 'chip', dataset: { status: file.status } }, file.status), ` ${name} `, h('span', { class: 'diff-count' }, `+${file.additions} −${file.deletions}`)),
      file.patch ? patchView(file.patch) : h('p', { class: 'hint' }, file.binary ? 'Binary file.' : file.too_large ? 'Too large to diff.' : 'No text changes.'),
    ),
  );
}

function label(g) {
  return `${formatWhen(g.created_at)} · ${g.change_request ? `“${g.change_request}”` : 'full run'}`;
}

export async function mount(root, ctx, project) {
  const request = h('textarea', { rows: '3', maxlength: '4000', required: true, testid: 'change-request' });
  const form = h(
    'form',
    { class: 'card', testid: 'change-form', novalidate: true },
    h('h2', {}, 'Request a change'),
    field('What should change?', request, { name: 'request', hint: 'For example: add a field isbn to books. The change is a new generation on the same history.' }),
    h('p', { class: 'form-error', role: 'alert', testid: 'change-error', dataset: { errorFor: '' } }),
    h('button', { type: 'submit', class: 'button', testid: 'request-change' }, 'Request the change'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submitting(form, async () => {
      const run = await api('POST', `/projects/${project.id}/changes`, { request: request.value.trim() });
      ctx.navigate('run', { id: project.id, run: run.id });
    });
  });

  const generations = (await listAll(`/projects/${project.id}/generations`, 100)).filter((g) => g.status === 'ready');
  const target = h('select', { id: 'diff-gen', testid: 'diff-generation' });
  const against = h('select', { id: 'diff-against', testid: 'diff-against' });
  const result = h('div', { testid: 'diff' });
  replace(target, generations.map((g) => h('option', { value: g.id }, label(g))));
  replace(against, h('option', { value: '' }, 'Its parent'), generations.map((g) => h('option', { value: g.id }, label(g))));
  const changed = generations.find((g) => g.parent);
  if (changed) target.value = changed.id;

  const show = async () => {
    if (!target.value) return;
    const query = against.value ? `&against=${encodeURIComponent(against.value)}` : '';
    try {
      const base = `/generations/${target.value}/diff?limit=50${query}`;
      const diff = await api('GET', base);
      const { stat } = diff;
      const kinds = ['added', 'modified', 'deleted', 'renamed'].filter((k) => stat[k] > 0);
      const list = h('ul', { class: 'diff-files', testid: 'diff-files' }, diff.files.map(diffFile));
      const more = h('button', { type: 'button', class: 'button button-quiet', testid: 'diff-more', hidden: !diff.next_cursor }, 'More files');
      let cursor = diff.next_cursor;
      more.addEventListener('click', async () => {
        const page = await api('GET', `${base}&cursor=${encodeURIComponent(cursor)}`);
        list.append(...page.files.map(diffFile));
        cursor = page.next_cursor;
        more.hidden = !cursor;
      });
      replace(
        result,
        h('p', { testid: 'diff-stat' }, `${formatCount(stat.files_changed)} files changed${kinds.length ? `: ${kinds.map((k) => `${stat[k]} ${k}`).join(', ')}` : ''}`),
        list,
        more,
      );
    } catch (err) {
      replace(result, h('p', { class: 'empty', testid: 'diff-empty' }, err.code === 'no_parent' || err.status === 409 || err.status === 400 ? 'This generation has no parent: pick another one to compare it with.' : err.message));
    }
  };
  target.addEventListener('change', show);
  against.addEventListener('change', show);

  root.append(
    form,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'diff-title' },
      h('h2', { id: 'diff-title' }, 'What changed'),
      generations.length
        ? h('div', { class: 'field-row' }, h('div', { class: 'field' }, h('label', { for: 'diff-gen' }, 'Generation'), target), h('div', { class: 'field' }, h('label', { for: 'diff-against' }, 'Compared with'), against))
        : h('p', { class: 'empty' }, 'Nothing generated yet.'),
      result,
    ),
  );
  await show();
}
