// A step waiting for its owner: its artifact (the step's output, from GET /executions/{id}),
// editable as JSON; approve (with the edit, if any) or reject with feedback for the agent.

import { api } from '../api.js';
import { field, h } from '../dom.js';
import { formatWhen } from '../format.js';
import { submitting } from '../forms.js';

function preview(output) {
  if (!Array.isArray(output?.stories)) return null;
  return h(
    'ul',
    { class: 'artifact-preview', testid: 'approval-stories' },
    output.stories.map((story) => h('li', {}, h('strong', {}, `${story.id} ${story.title}`), ` — as a ${story.as_a}, I want ${story.i_want}`)),
  );
}

export function approvalPanel(execution, step, { onDone }) {
  const original = JSON.stringify(step.output ?? {}, null, 2);
  const artifact = h('textarea', { rows: '14', spellcheck: 'false', class: 'code-input', testid: 'approval-artifact' });
  artifact.value = original;
  const feedback = h('textarea', { rows: '3', maxlength: '4000', testid: 'approval-feedback' });

  const approveForm = h(
    'form',
    { testid: 'approve-form', novalidate: true },
    field(`Output of ${step.id} (JSON; edit it to change what later steps read)`, artifact, { name: 'output' }),
    h('p', { class: 'form-error', role: 'alert', testid: 'approve-error', dataset: { errorFor: '' } }),
    h('button', { type: 'submit', class: 'button', testid: 'approve' }, 'Approve'),
  );
  approveForm.addEventListener('submit', (event) => {
    event.preventDefault();
    submitting(approveForm, async () => {
      const body = {};
      if (artifact.value.trim() !== original.trim()) {
        try {
          body.output = JSON.parse(artifact.value);
        } catch (err) {
          throw Object.assign(new Error(`This is not valid JSON: ${err.message}`), { field: 'output', status: 400 });
        }
      }
      await api('POST', `/executions/${execution.id}/steps/${encodeURIComponent(step.id)}/approve`, body);
      await onDone();
    });
  });

  const rejectForm = h(
    'form',
    { testid: 'reject-form', novalidate: true },
    field('What should the agent do differently?', feedback, { name: 'feedback' }),
    h('p', { class: 'form-error', role: 'alert', testid: 'reject-error', dataset: { errorFor: '' } }),
    h('button', { type: 'submit', class: 'button button-secondary', testid: 'reject' }, 'Reject and run again'),
  );
  rejectForm.addEventListener('submit', (event) => {
    event.preventDefault();
    submitting(rejectForm, async () => {
      await api('POST', `/executions/${execution.id}/steps/${encodeURIComponent(step.id)}/reject`, { feedback: feedback.value.trim() });
      await onDone();
    });
  });

  return h(
    'section',
    { class: 'card approval', testid: 'approval', dataset: { step: step.id }, 'aria-labelledby': 'approval-title' },
    h('h2', { id: 'approval-title' }, `Step “${step.id}” waits for your approval`),
    step.rejections ? h('p', { testid: 'approval-round' }, `Written again after ${step.rejections} rejection${step.rejections === 1 ? '' : 's'}.`) : null,
    h('p', { class: 'hint' }, execution.approval_deadline ? `Without an answer the run is cancelled at ${new Date(execution.approval_deadline).toUTCString()} (${formatWhen(execution.approval_deadline)}).` : ''),
    preview(step.output),
    approveForm,
    rejectForm,
  );
}
