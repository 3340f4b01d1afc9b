// Every screen of the page, as a signed-in person sees it, at 1280 px and at 375 px: its content,
// an axe-core check (no serious or critical violation), no horizontal scrolling, no CSP
// violation, and a screenshot in target/artifacts/. One user and one finished project (a full
// run, a change request, an archive export, a schedule) are set up once over the API.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertText, call, checkBothWidths, registerUser, startBrowser, stopBrowser, waitForAttribute, waitForGeneration, waitForRun, withPage,
} from './lib.mjs';

let user;
let project;
let run;
let change;

before(async () => {
  await startBrowser();
  user = await registerUser('screens');
  project = await call('POST', '/projects', {
    token: user.token,
    body: { name: 'Lending library', brief: 'Members borrow and return books; the library sends reminders before due dates.', template: 'python-fastapi' },
  });
  run = await call('POST', `/projects/${project.id}/executions`, { token: user.token, body: { budget: { max_cost_usd: 5 } } });
  await waitForRun(user, run.id);
  await waitForGeneration(user, run.id);
  change = await call('POST', `/projects/${project.id}/changes`, { token: user.token, body: { request: 'Add a field isbn to books' } });
  await waitForRun(user, change.id);
  await waitForGeneration(user, change.id);
  const exp = await call('POST', `/generations/${change.id}/exports`, { token: user.token, body: { target: { type: 'zip' } } });
  const until = Date.now() + 60_000;
  while ((await call('GET', `/exports/${exp.id}`, { token: user.token })).status !== 'succeeded' && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await call('PUT', `/projects/${project.id}/export-schedule`, {
    token: user.token,
    body: { expression: '0 3 * * 1-5', time_zone: 'Europe/Berlin', target: { type: 'tar.gz' } },
  });
});

after(stopBrowser);

test('sign in screen', async () => {
  await withPage('screen-sign-in', {}, async (page) => {
    await page.getByTestId('auth-view').waitFor();
    assert.equal(await page.getByTestId('connection').getAttribute('data-state'), 'offline');
    await checkBothWidths(page, 'screen-sign-in');
  });
});

test('projects list: search, status, last run, cost', async () => {
  await withPage('screen-projects', { user }, async (page) => {
    const row = page.getByTestId('project-row').first();
    await row.waitFor();
    await assertText(page, 'project-status', /Succeeded/);
    await assertText(page, 'project-last-run', /just now|min ago/);
    await assertText(page, 'project-cost', /^\$\d/);
    await waitForAttribute(page, 'connection', 'data-state', 'live');
    await checkBothWidths(page, 'screen-projects');

    await page.getByTestId('project-search').fill('no such project');
    await assertText(page, 'projects-empty', /No project matches/);
    await page.getByTestId('project-search').fill('lending');
    await row.waitFor();
    await page.getByTestId('project-status-filter').selectOption('failed');
    await assertText(page, 'projects-empty', /No project matches/);
    await page.getByTestId('project-status-filter').selectOption('succeeded');
    assert.equal(await page.getByTestId('project-row').count(), 1);
  });
});

test('a run: totals, budget and its timeline', async () => {
  await withPage('screen-run', { user, hash: `#/projects/${project.id}/runs/${run.id}` }, async (page) => {
    await waitForAttribute(page, 'execution-status', 'data-status', 'succeeded');
    assert.deepEqual(
      await page.getByTestId('step').evaluateAll((rows) => rows.map((r) => r.dataset.step)),
      ['plan', 'architecture', 'code', 'tests', 'review'],
    );
    await assertText(page, 'run-budget', /\$5\.00/);
    await assertText(page, 'run-tokens', /[\d,]+ in · [\d,]+ out/);
    await assertText(page, 'run-duration', /\d+(\.\d)? (ms|s)/);
    await assertText(page, 'files-text', /\d+ files written/);
    await checkBothWidths(page, 'screen-run');
  });
});

test('project runs with the estimate', async () => {
  await withPage('screen-runs', { user, hash: `#/projects/${project.id}` }, async (page) => {
    await page.getByTestId('run-row').nth(1).waitFor();
    assert.equal(await page.getByTestId('run-row').count(), 2);
    // Each run's steps on its own time axis: four bars for the change, five for the full run.
    assert.deepEqual(await page.getByTestId('run-timeline').evaluateAll((strips) => strips.map((s) => s.children.length)), [4, 5]);
    await assertText(page, 'run-cost', /^\$/);
    await assertText(page, 'estimate-total', /tokens, \$/);
    await checkBothWidths(page, 'screen-runs');
  });
});

test('the plan as a board of sprints and stories', async () => {
  await withPage('screen-plan', { user, hash: `#/projects/${project.id}/plan` }, async (page) => {
    await page.getByTestId('story').first().waitFor();
    await assertText(page, 'plan-summary', /\d+ stories in \d+ sprints/);
    assert.ok((await page.getByTestId('sprint').count()) >= 1);
    await checkBothWidths(page, 'screen-plan');
  });
});

test('files: the tree, a highlighted file, download', async () => {
  await withPage('screen-files', { user, hash: `#/projects/${project.id}/files` }, async (page) => {
    await assertText(page, 'viewer-path', /^README\.md$/);
    await page.getByTestId('file-tree').locator('summary', { hasText: /^app\/$/ }).click();
    await page.locator('[data-testid="tree-file"][data-path="app/main.py"]').click();
    await assertText(page, 'viewer-path', /^app\/main\.py$/);
    await page.locator('.tok-keyword', { hasText: 'import' }).first().waitFor();
    assert.ok((await page.locator('[data-testid="code"] .tok-string').count()) > 0, 'strings are highlighted');
    const href = await page.getByTestId('download-file').getAttribute('href');
    assert.match(href, /^blob:/);
    assert.match(page.url(), /path=app%2Fmain\.py/);
    await checkBothWidths(page, 'screen-files');
  });
});

test('changes: the request form and the diff against the parent', async () => {
  await withPage('screen-changes', { user, hash: `#/projects/${project.id}/changes` }, async (page) => {
    await assertText(page, 'diff-stat', /^\d+ files changed: .*modified/);
    await page.getByTestId('diff-file').first().locator('summary').click();
    await page.locator('.diff-add').first().waitFor();
    await checkBothWidths(page, 'screen-changes');
    // The first generation has no parent; compared with the change it shows the same files.
    await page.getByTestId('diff-generation').selectOption(run.id);
    await assertText(page, 'diff-empty', /has no parent/);
    await page.getByTestId('diff-against').selectOption(change.id);
    await assertText(page, 'diff-stat', /^\d+ files changed: .*modified/);
  });
});

test('exports: history with its download link', async () => {
  await withPage('screen-exports', { user, hash: `#/projects/${project.id}/exports` }, async (page) => {
    await page.locator('[data-testid="export-row"][data-status="succeeded"]').first().waitFor();
    await page.getByTestId('export-history').getByTestId('download-link').first().waitFor();
    await checkBothWidths(page, 'screen-exports');
  });
});

test('automation: the schedule shown', async () => {
  await withPage('screen-automation', { user, hash: `#/projects/${project.id}/automation` }, async (page) => {
    await assertText(page, 'schedule-status', /On: 0 3 \* \* 1-5 \(Europe\/Berlin\) to tar\.gz; next run/);
    await checkBothWidths(page, 'screen-automation');
  });
});

test('usage of the month', async () => {
  await withPage('screen-usage', { user, hash: '#/usage' }, async (page) => {
    await page.getByTestId('usage-projects').getByText('Lending library').waitFor();
    await assertText(page, 'usage-cost', /^\$/);
    await page.getByTestId('prices').locator('summary').click();
    await page.getByTestId('prices').getByText('gpt-4o-mini…').waitFor();
    await checkBothWidths(page, 'screen-usage');
  });
});

test('settings: tokens for forges and AI providers', async () => {
  await withPage('screen-settings', { user, hash: '#/settings' }, async (page) => {
    await assertText(page, 'credential-status-github', /Not set/);
    await assertText(page, 'credential-status-gitlab', /Not set/);
    await checkBothWidths(page, 'screen-settings');
  });
});

test('project settings: edit and delete', async () => {
  await withPage('screen-project-settings', { user, hash: `#/projects/${project.id}/settings` }, async (page) => {
    assert.equal(await page.getByTestId('edit-name').inputValue(), 'Lending library');
    assert.equal(await page.getByTestId('edit-template').inputValue(), 'python-fastapi');
    await checkBothWidths(page, 'screen-project-settings');
  });
});

test('new project screen', async () => {
  await withPage('screen-new', { user, hash: '#/new' }, async (page) => {
    await page.getByTestId('brief-view').waitFor();
    await page.getByTestId('run-options').locator('summary').click();
    await page.getByTestId('run-workflow').locator('option', { hasText: 'Full project' }).waitFor({ state: 'attached' });
    await checkBothWidths(page, 'screen-new');
    await page.getByTestId('start-import').check();
    await page.getByTestId('import-file').waitFor();
    await checkBothWidths(page, 'screen-new-import');
  });
});
