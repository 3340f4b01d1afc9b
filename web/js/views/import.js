// Starting a project from an existing repository (POST /projects/{id}/imports): a zip or
// tar.gz uploaded from this computer (to the presigned URL the API answers with), or a GitHub /
// GitLab repository read with the token saved in Settings. The import becomes the project's
// first generation; its page then shows the files as they arrive.

import { ApiError, api } from '../api.js';
import { field, h } from '../dom.js';

export function importFields() {
  const kind = h(
    'select',
    { testid: 'import-kind' },
    h('option', { value: 'upload' }, 'An archive from this computer (zip or tar.gz)'),
    h('option', { value: 'github' }, 'A GitHub repository'),
    h('option', { value: 'gitlab' }, 'A GitLab project'),
  );
  const file = h('input', { type: 'file', accept: '.zip,.tar.gz,.tgz,application/zip,application/gzip', testid: 'import-file' });
  const repository = h('input', { type: 'text', placeholder: 'owner/name', testid: 'import-repository', autocomplete: 'off' });
  const branch = h('input', { type: 'text', placeholder: 'default branch', testid: 'import-branch', autocomplete: 'off' });
  const fileField = field('Archive', file, { name: 'source', hint: 'Up to 100 MiB; a .git folder inside keeps its history.' });
  const repoFields = h('div', { class: 'field-row', hidden: true }, field('Repository', repository, { name: 'repository' }), field('Branch', branch, { name: 'branch' }));
  kind.addEventListener('change', () => {
    fileField.hidden = kind.value !== 'upload';
    repoFields.hidden = kind.value === 'upload';
    repository.placeholder = kind.value === 'gitlab' ? 'group/name' : 'owner/name';
  });
  const element = h('div', { testid: 'import-fields' }, field('Import', kind, { name: 'import' }), fileField, repoFields);

  /** Starts the import into `project`; resolves once the files are on their way. */
  async function start(project) {
    if (kind.value === 'upload') {
      const chosen = file.files?.[0];
      if (!chosen) throw new ApiError(400, { code: 'invalid_request', message: 'choose an archive to import', field: 'source' });
      const format = /\.zip$/i.test(chosen.name) ? 'zip' : 'tar.gz';
      const answer = await api('POST', `/projects/${project.id}/imports`, { source: { type: 'upload', format, size: chosen.size } });
      const { method, url, headers = {} } = answer.upload;
      const sendable = Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'content-length'));
      let put;
      try {
        put = await fetch(url, { method, headers: sendable, body: chosen });
      } catch {
        throw new ApiError(0, { message: 'The upload did not go through. Check your connection and try again.', field: 'source' });
      }
      if (!put.ok) throw new ApiError(put.status, { message: `The upload was refused (${put.status}).`, field: 'source' });
      await api('POST', `/generations/${answer.generation.id}/import`);
      return answer.generation;
    }
    const source = { type: kind.value };
    if (kind.value === 'github') source.repository = repository.value.trim();
    else source.project = repository.value.trim();
    if (branch.value.trim()) source.branch = branch.value.trim();
    const answer = await api('POST', `/projects/${project.id}/imports`, { source });
    return answer.generation ?? answer;
  }

  return { element, start };
}
