// A project's page: its name and brief, and tabs for its runs, plan, files, changes, exports and
// automation (schedule and webhooks). Each tab is its own module, mounted below the tabs.

import { api } from '../api.js';
import { h } from '../dom.js';
import { PROJECT_TABS, routeHref } from '../routes.js';
import * as automation from './automation.js';
import * as changes from './changes.js';
import * as exportsTab from './exports.js';
import * as files from './files.js';
import * as plan from './plan.js';
import * as projectSettings from './project-settings.js';
import * as runs from './runs.js';

const TABS = { runs, plan, files, changes, exports: exportsTab, automation, settings: projectSettings };
const TAB_LABELS = { runs: 'Runs', plan: 'Plan', files: 'Files', changes: 'Changes', exports: 'Exports', automation: 'Automation', settings: 'Settings' };

let mounted = null;

export async function mount(root, ctx) {
  const { id, tab } = ctx.params;
  const project = await api('GET', `/projects/${id}`);
  const panel = h('div', { class: 'tab-panel', id: 'tab-panel', testid: `tab-${tab}` });
  root.append(
    h(
      'section',
      { class: 'page', testid: 'project-view', dataset: { project: id } },
      h('p', { class: 'crumbs' }, h('a', { href: routeHref('projects') }, 'Projects')),
      h('h1', { testid: 'project-title' }, project.name),
      h('p', { class: 'project-brief', testid: 'project-brief-text' }, project.brief),
      h(
        'nav',
        { class: 'tabs', 'aria-label': 'Project' },
        PROJECT_TABS.map((name) =>
          h(
            'a',
            {
              href: routeHref('project', { id, tab: name }),
              testid: `tab-link-${name}`,
              'aria-current': name === tab ? 'page' : undefined,
            },
            TAB_LABELS[name],
          ),
        ),
      ),
      panel,
    ),
  );
  mounted = { tab: TABS[tab], project, panel, ctx };
  ctx.onDispose(() => {
    mounted = null;
  });
  await TABS[tab].mount(panel, ctx, project);
}

/** Same tab, other query (a file chosen in the tree): the tab updates in place. */
export function update(params) {
  mounted?.tab.update?.(params, mounted);
}
