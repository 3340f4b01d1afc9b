// The generated files: a generation picker, the tree, and a viewer with syntax highlighting and
// a download of the file; the whole project downloads as an archive (export). `?gen=&path=`
// name what is shown, so a file has an address; a new generation (`project:{id}`) is offered.

import { api, fetchText, listAll, session } from '../api.js';
import { h, replace } from '../dom.js';
import { formatBytes, formatWhen } from '../format.js';
import { languageFor, tokenize } from '../highlight.js';
import { routeHref } from '../routes.js';
import { ancestors, buildTree } from '../tree.js';
import { exportButtons } from './export-panel.js';

const MAX_VIEW_BYTES = 512 * 1024;
const BINARY = /\.(png|jpe?g|gif|webp|ico|woff2?|ttf|otf|zip|gz|tgz|pdf|wasm|jar)$/i;

function treeList(nodes, params, open) {
  return h(
    'ul',
    { role: 'list' },
    nodes.map((node) => {
      if (node.children) {
        return h('li', {}, h('details', { open: open.has(node.path) }, h('summary', {}, `${node.name}/`), treeList(node.children, params, open)));
      }
      const current = node.path === params.path;
      return h('li', {}, h('a', {
        href: routeHref('project', { id: params.id, tab: 'files', gen: params.gen, path: node.path }),
        'aria-current': current ? 'true' : undefined,
        testid: 'tree-file',
        dataset: { path: node.path },
      }, node.name));
    }),
  );
}

/** The code as lines of highlighted tokens: text nodes in spans, never HTML. */
export function highlighted(text, language) {
  const code = h('code', { class: `language-${language}` });
  for (const token of tokenize(text, language)) {
    code.append(token.type === 'plain' ? document.createTextNode(token.text) : h('span', { class: `tok-${token.type}` }, token.text));
  }
  return h('pre', { class: 'code', tabindex: '0', testid: 'code', 'aria-label': 'File contents' }, code);
}

let current = null;

export async function mount(root, ctx, project) {
  const generations = (await listAll(`/projects/${project.id}/generations`, 100)).filter((g) => g.status === 'ready');
  if (generations.length === 0) {
    root.append(h('p', { class: 'empty', testid: 'files-empty' }, 'No files yet: they appear once a run has finished.'));
    ctx.watch(`project:${project.id}`, (e) => e.kind === 'generation_ready' && ctx.reload());
    return;
  }
  const picker = h('select', { id: 'files-gen', testid: 'generation-picker' }, generations.map((g, i) => h('option', { value: g.id }, `${i === 0 ? 'Latest · ' : ''}${formatWhen(g.created_at)} · ${g.file_count} files${g.parent ? ' · change' : ''}`)));
  const tree = h('nav', { class: 'tree', testid: 'file-tree', 'aria-label': 'Files' });
  const viewer = h('div', { class: 'viewer', testid: 'viewer' });
  const newer = h('p', { class: 'notice-info', testid: 'newer-generation', hidden: true });
  const archive = h('div', { class: 'archive' });
  const regenerate = regenerateForm(ctx, project, () => current?.generation);
  root.append(
    newer,
    h('div', { class: 'field field-inline' }, h('label', { for: 'files-gen' }, 'Generation'), picker),
    regenerate,
    h('div', { class: 'files-layout' }, tree, viewer),
    h('h2', {}, 'Download the whole project'),
    archive,
  );
  picker.addEventListener('change', () => ctx.navigate('project', { id: project.id, tab: 'files', gen: picker.value }));
  current = { project, ctx, picker, tree, viewer, archive, generation: null, generations };
  ctx.onDispose(() => {
    current = null;
  });
  await update(ctx.params);
  ctx.watch(`project:${project.id}`, (event) => {
    if (event.kind !== 'generation_ready' || generations.some((g) => g.id === event.generation_id)) return;
    newer.hidden = false;
    replace(newer, 'A newer generation is ready. ', h('a', { href: routeHref('project', { id: project.id, tab: 'files', gen: event.generation_id }) }, 'Show it'));
  });
}

export async function update(params) {
  if (!current) return;
  const state = current;
  const genId = params.gen || state.generations[0].id;
  state.picker.value = genId;
  if (state.generation?.id !== genId) {
    state.generation = await api('GET', `/generations/${genId}`);
    replace(state.archive, exportButtons(state.ctx, { generationId: genId, projectName: state.project.name }));
  }
  const files = state.generation.manifest?.files ?? [];
  const path = params.path || (files.find((f) => /(^|\/)README\.md$/i.test(f.path)) ?? files[0])?.path;
  const shown = { ...params, id: state.project.id, gen: genId, path };
  replace(state.tree, treeList(buildTree(files), shown, new Set(ancestors(path))));
  const file = files.find((f) => f.path === path);
  if (!file) {
    replace(state.viewer, h('p', { class: 'empty' }, 'Pick a file.'));
    return;
  }
  const head = h(
    'div',
    { class: 'viewer-head' },
    h('h3', { testid: 'viewer-path' }, file.path),
    h('span', { class: 'muted' }, `${formatBytes(file.size)} · ${file.source ?? ''}`),
  );
  if (file.size > MAX_VIEW_BYTES || BINARY.test(file.path)) {
    const reason = file.size > MAX_VIEW_BYTES ? 'Too large to show here' : 'A binary file';
    head.append(h('a', { class: 'button button-quiet', href: '#', testid: 'download-file', onclick: (event) => downloadBinary(event, genId, file) }, 'Download file'));
    replace(state.viewer, head, h('p', { class: 'empty' }, `${reason}; download it.`));
    return;
  }
  const text = await fetchText(`/generations/${genId}/files/${file.path.split('/').map(encodeURIComponent).join('/')}`);
  if (state !== current) return;
  const blob = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
  state.ctx.onDispose(() => URL.revokeObjectURL(blob));
  head.append(h('a', { class: 'button button-quiet', href: blob, download: file.path.split('/').pop(), testid: 'download-file' }, 'Download file'));
  replace(state.viewer, head, highlighted(text, languageFor(file.path)));
}

/** A file the viewer does not show: fetched with the token, then saved. */
async function downloadBinary(event, genId, file) {
  event.preventDefault();
  const headers = session.current ? { authorization: `Bearer ${session.current.token}` } : {};
  const response = await fetch(`${session.config.apiUrl}/generations/${genId}/files/${file.path.split('/').map(encodeURIComponent).join('/')}`, { headers });
  if (!response.ok) return;
  const url = URL.createObjectURL(await response.blob());
  const link = h('a', { href: url, download: file.path.split('/').pop() });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** "Generate again" from the shown generation's run, possibly with another template; shown once ready. */
function regenerateForm(ctx, project, shown) {
  const template = h('select', { id: 'regen-template', testid: 'regen-template' }, ['rust-axum', 'python-fastapi', 'react-vite'].map((t) => h('option', { value: t, selected: t === project.template }, t)));
  const status = h('span', { role: 'status', testid: 'regen-status' });
  const button = h('button', { type: 'button', class: 'button button-quiet', testid: 'regenerate' }, 'Generate again');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const generation = await api('POST', `/projects/${project.id}/generations`, { execution_id: shown().execution_id, template: template.value });
      status.textContent = 'Generating…';
      ctx.watch(`generation:${generation.id}`, (event) => {
        if (event.kind !== 'generation_ready') return;
        ctx.navigate('project', { id: project.id, tab: 'files', gen: generation.id });
        ctx.reload();
        if (event.kind === 'generation_failed') status.textContent = `Failed: ${event.error}`;
      });
    } catch (err) {
      status.textContent = err.message;
    } finally {
      button.disabled = false;
    }
  });
  return h('div', { class: 'field field-inline' }, h('label', { for: 'regen-template' }, 'Template'), template, button, status);
}
