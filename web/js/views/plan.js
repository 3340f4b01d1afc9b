// The plan as a board: one column per sprint (its goal, its stories as cards), stories in no
// sprint under "Backlog". `?execution=` shows the plan as that run wrote it; a finished run
// (`project:{id}`) reloads the latest one.

import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { formatWhen } from '../format.js';

function storyCard(story) {
  return h(
    'li',
    { class: 'story', testid: 'story', dataset: { story: story.id, priority: story.priority ?? '' } },
    h('p', { class: 'story-head' }, h('span', { class: 'story-id' }, story.id), h('span', { class: 'chip', dataset: { status: story.priority } }, story.priority ?? ''), h('span', { class: 'points' }, `${story.estimate_points ?? '?'} pt`)),
    h('h4', { testid: 'story-title' }, story.title),
    h('p', {}, `As a ${story.as_a}, I want ${story.i_want}, so that ${story.so_that}.`),
    story.acceptance_criteria?.length
      ? h('details', {}, h('summary', {}, `${story.acceptance_criteria.length} acceptance criteria`), h('ul', {}, story.acceptance_criteria.map((c) => h('li', {}, c))))
      : null,
  );
}

function board(stories, sprints) {
  const byId = new Map(stories.map((s) => [s.id, s]));
  const placed = new Set();
  const columns = sprints.map((sprint) => {
    const cards = (sprint.story_ids ?? []).map((id) => byId.get(id)).filter(Boolean);
    cards.forEach((c) => placed.add(c.id));
    return { title: `Sprint ${sprint.number}`, goal: sprint.goal, cards };
  });
  const backlog = stories.filter((s) => !placed.has(s.id));
  if (backlog.length) columns.push({ title: 'Backlog', goal: 'Not in a sprint yet', cards: backlog });
  return h(
    'div',
    { class: 'board', testid: 'board' },
    columns.map((column) =>
      h(
        'section',
        { class: 'column', testid: 'sprint', 'aria-label': column.title },
        h('h3', {}, column.title),
        h('p', { class: 'hint' }, column.goal),
        h('ul', { class: 'stories' }, column.cards.map(storyCard)),
      ),
    ),
  );
}

export async function mount(root, ctx, project) {
  const slot = h('div', { testid: 'plan' });
  const picker = h('select', { id: 'plan-run', testid: 'plan-run' });
  root.append(h('div', { class: 'field field-inline' }, h('label', { for: 'plan-run' }, 'Plan of'), picker), slot);

  const runs = (await api('GET', `/projects/${project.id}/executions?limit=50`))?.items ?? [];
  const succeeded = runs.filter((r) => r.status === 'succeeded');
  replace(picker, h('option', { value: '' }, 'The latest successful run'), succeeded.map((r) => h('option', { value: r.id }, `${r.workflow?.name ?? 'Run'} · ${formatWhen(r.created_at)}`)));
  picker.value = ctx.params.execution ?? '';

  const load = async () => {
    const query = picker.value ? `?execution=${encodeURIComponent(picker.value)}` : '';
    try {
      const [stories, sprints] = await Promise.all([
        api('GET', `/projects/${project.id}/stories${query}`),
        api('GET', `/projects/${project.id}/sprints${query}`),
      ]);
      replace(slot, h('p', { class: 'muted', testid: 'plan-summary' }, `${stories.items.length} stories in ${sprints.items.length} sprints`), board(stories.items, sprints.items));
    } catch (err) {
      if (err.status === 404 || err.status === 409) replace(slot, h('p', { class: 'empty', testid: 'plan-empty' }, 'No plan yet: it appears once a run has planned the project.'));
      else throw err;
    }
  };
  picker.addEventListener('change', () => load().catch(() => {}));
  await load();
  ctx.watch(`project:${project.id}`, (event) => {
    if (event.kind === 'execution_finished' && !picker.value) load().catch(() => {});
  });
}
