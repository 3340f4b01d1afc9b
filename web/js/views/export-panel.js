// Exporting a generation and following it live (`export:{id}`): its phases, then the archive's
// download link or the repository / pull request link. Used by a run and by the Exports tab.

import { api } from '../api.js';
import { announce, h, replace } from '../dom.js';
import { archiveName, describeTarget, sentence, webLink } from '../format.js';

const PHASES = { queued: 'Queued', committing: 'Committing the files to the git history', delivering: 'Delivering', done: 'Done' };

/** Links for a finished export: download (archives) or the repository / pull request. */
export function resultLinks(exp, projectName) {
  const result = exp.result ?? {};
  const links = [];
  if (result.download_url) {
    links.push(h('a', { class: 'button', href: result.download_url, download: archiveName(projectName, exp.target?.type), testid: 'download-link' }, `Download ${exp.target?.type ?? 'archive'}`));
  }
  const repo = webLink(result.repository_url ?? result.url);
  if (repo) links.push(h('a', { class: 'button button-secondary', href: repo, target: '_blank', rel: 'noopener', testid: 'repository-link' }, 'Open repository'));
  const request = webLink(result.pull_request_url);
  if (request) links.push(h('a', { href: request, target: '_blank', rel: 'noopener', testid: 'pull-request-link' }, 'Pull request'));
  return links;
}

/** Follows one export: a meter, then its result. `onFinish` runs once it is done or failed. */
export function followExport(ctx, exp, projectName, onFinish) {
  const progress = h('progress', { max: '1', value: '0', 'aria-label': `Export ${describeTarget(exp.target)}`, testid: 'export-progress' });
  const phase = h('span', { class: 'meter-text', testid: 'export-phase', dataset: { phase: exp.phase ?? 'queued' } }, PHASES[exp.phase] ?? 'Queued');
  const result = h('p', { class: 'result', testid: 'export-result' });
  const box = h('div', { class: 'export-follow', testid: 'export-follow', dataset: { export: exp.id } }, h('div', { class: 'meter' }, progress, phase), result);
  const finish = async () => {
    const current = await api('GET', `/exports/${exp.id}`);
    phase.dataset.phase = current.status === 'succeeded' ? 'done' : 'failed';
    progress.value = current.status === 'succeeded' ? 1 : 0;
    progress.max = 1;
    if (current.status === 'succeeded') {
      phase.textContent = 'Export ready';
      replace(result, resultLinks(current, projectName));
      announce('Export ready.');
    } else {
      phase.textContent = `Export failed: ${sentence(current.error ?? current.result?.error ?? '')}`;
      announce('Export failed.');
    }
    onFinish?.(current);
  };
  ctx.watch(`export:${exp.id}`, (event) => {
    if (event.kind === 'export_phase') {
      progress.max = Math.max(1, event.total || 1);
      progress.value = Math.min(event.done || 0, progress.max);
      phase.dataset.phase = event.phase;
      phase.textContent = `${PHASES[event.phase] ?? event.phase}…${event.total ? ` (${event.done}/${event.total})` : ''}`;
    } else if (event.kind === 'export_done' || event.kind === 'export_failed') {
      finish().catch(() => {});
    }
  });
  return box;
}

/** "Export as zip / tar.gz" for a ready generation, each followed live below the buttons. */
export function exportButtons(ctx, { generationId, projectName, onFinish }) {
  const out = h('div', { testid: 'export-runs' });
  const error = h('p', { class: 'form-error', role: 'alert', testid: 'export-error' });
  const start = async (type, button) => {
    button.disabled = true;
    try {
      const exp = await api('POST', `/generations/${generationId}/exports`, { target: { type } });
      out.prepend(followExport(ctx, exp, projectName, onFinish));
    } catch (err) {
      error.textContent = sentence(err.message);
    } finally {
      button.disabled = false;
    }
  };
  const button = (type) => {
    const b = h('button', { type: 'button', class: 'button button-secondary', testid: `export-${type.replace('.', '-')}` }, `Export as ${type}`);
    b.addEventListener('click', () => start(type, b));
    return b;
  };
  return h('div', { class: 'export-panel' }, h('div', { class: 'actions' }, button('zip'), button('tar.gz')), error, out);
}
