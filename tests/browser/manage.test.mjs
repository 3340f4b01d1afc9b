// Managing a project and an account in the page: provider tokens in Settings, the export
// schedule and webhooks (whose URL and secret, copied from the page, really export; one made
// elsewhere is listed, rotated and removed), an export to the fake GitHub followed to success, and the monthly budget.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  BASE_URL, FORGE, TIMEOUT_MS, WIDTHS, assertText, call, checkBothWidths, checkScreen, registerUser, startBrowser, stopBrowser, waitForAttribute,
  waitForGeneration, waitForRun, withPage,
} from './lib.mjs';

let user;
let project;

before(async () => {
  await startBrowser();
  user = await registerUser('manage');
  project = await call('POST', '/projects', { token: user.token, body: { name: 'Tool library', brief: 'Neighbours lend each other tools.' } });
  const run = await call('POST', `/projects/${project.id}/executions`, { token: user.token, body: {} });
  await waitForRun(user, run.id);
  await waitForGeneration(user, run.id);
});

after(stopBrowser);

test('settings: a GitHub token and AI provider keys are saved, shown as set, and removed', async () => {
  await withPage('manage-settings', { user, hash: '#/settings' }, async (page) => {
    await assertText(page, 'credential-status-github', /Not set/);
    await page.getByTestId('credential-token-github').fill('ghp_example_token');
    await page.getByTestId('credential-save-github').click();
    await assertText(page, 'credential-status-github', /^Set just now\.$/);
    assert.equal(await page.getByTestId('credential-token-github').inputValue(), '', 'the token is not kept in the page');

    await page.getByTestId('credential-token-openai').fill('sk-example');
    await page.getByTestId('credential-base-url-openai').fill('https://api.openai.com/v1');
    await page.getByTestId('credential-models-openai').fill('gpt-4o-mini, gpt-4o');
    await page.getByTestId('credential-save-openai').click();
    await assertText(page, 'credential-status-openai', /Set just now · https:\/\/api\.openai\.com\/v1 · gpt-4o-mini, gpt-4o/);

    await page.getByTestId('credential-token-anthropic').fill('sk-ant-example');
    await page.getByTestId('credential-save-anthropic').click();
    await assertText(page, 'credential-status-anthropic', /Set just now/);

    // A missing token is refused next to the field.
    await page.getByTestId('credential-save-gitlab').click();
    await assertText(page, 'credential-token-gitlab-error', /token/i);

    await checkScreen(page, 'manage-settings');
    await page.getByTestId('credential-delete-anthropic').click();
    await assertText(page, 'credential-status-anthropic', /Not set/);
    const stored = await call('GET', '/credentials/github', { token: user.token });
    assert.equal(stored.set, true);
  });
});

test('an export to GitHub is started with the saved token and followed live to its repository', { timeout: TIMEOUT_MS * 2 }, async () => {
  await call('PUT', '/credentials/github', { token: user.token, body: { token: FORGE.token } });
  await withPage('manage-github', { user, hash: `#/projects/${project.id}/exports` }, async (page) => {
    const repository = `${FORGE.user}/tool-library`;
    await page.getByTestId('forge-repository').fill(repository);
    await page.getByTestId('forge-branch').fill('main');
    await page.getByTestId('forge-export').click();
    const row = page.getByTestId('export-row').first();
    await row.getByText(`GitHub ${repository} (main)`).waitFor();
    // The stack's GitHub is the fake forge: followed live (no reload) until it succeeds, the row
    // links to the repository the fake made.
    const done = page.locator('[data-testid="export-row"][data-status="succeeded"]').filter({ hasText: `GitHub ${repository} (main)` });
    await done.waitFor({ timeout: TIMEOUT_MS });
    assert.equal(await done.getByTestId('export-status').textContent(), 'Succeeded');
    const link = done.getByTestId('repository-link');
    assert.equal(await link.textContent(), 'Open repository');
    assert.equal(await link.getAttribute('href'), `${FORGE.url}/${repository}`);
    await page.reload();
    assert.equal(await done.getByTestId('repository-link').getAttribute('href'), `${FORGE.url}/${repository}`);
    // The commit the export made on the fake GitHub, by its short sha.
    const exportId = await done.getAttribute('data-export');
    const exported = await call('GET', `/exports/${exportId}`, { token: user.token });
    assert.match(exported.result.commit_sha, /^[0-9a-f]{40}$/);
    assert.equal(await done.getByTestId('export-commit').textContent(), exported.result.commit_sha.slice(0, 10));

    // GitLab asks for its address; a plain-http one is refused next to that field.
    await page.getByTestId('forge-type').selectOption('gitlab');
    await page.getByTestId('forge-repository').fill('group/tool-library');
    await page.getByTestId('forge-base-url').fill('http://gitlab.example.com');
    await page.getByTestId('forge-export').click();
    await assertText(page, 'forge-base-url-error', /https/);
    assert.equal(await page.getByTestId('forge-base-url').getAttribute('aria-invalid'), 'true');
  });
});

test('the export schedule is saved, shown with its next run, refused when malformed, removed', async () => {
  await withPage('manage-schedule', { user, hash: `#/projects/${project.id}/automation` }, async (page) => {
    await assertText(page, 'schedule-status', /No schedule/);
    await page.getByTestId('schedule-expression').fill('every day');
    await page.getByTestId('schedule-save').click();
    await assertText(page, 'schedule-expression-error', /\S/);
    await page.getByTestId('schedule-expression').fill('30 6 * * 1-5');
    await page.getByTestId('schedule-zone').fill('Europe/Berlin');
    await page.getByTestId('schedule-kind').selectOption('tar.gz');
    await page.getByTestId('schedule-save').click();
    await assertText(page, 'schedule-status', /^On: 30 6 \* \* 1-5 \(Europe\/Berlin\) to tar\.gz; next run .+ GMT\.$/);
    await page.reload();
    await assertText(page, 'schedule-status', /^On: 30 6/);
    await page.getByTestId('schedule-delete').click();
    await assertText(page, 'schedule-status', /No schedule/);
  });
});

function sign(secret, body) {
  const t = Math.floor(Date.now() / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

test('a webhook: its URL and secret are shown once, work, and a rotated secret replaces the old one', async () => {
  await withPage('manage-hooks', { user, hash: `#/projects/${project.id}/automation` }, async (page) => {
    await page.getByTestId('hook-kind').selectOption('zip');
    await page.getByTestId('hook-create').click();
    await page.getByTestId('hook-secret').waitFor();
    const url = await page.getByTestId('hook-url').textContent();
    const secret = await page.getByTestId('hook-secret-value').textContent();
    assert.ok(url.startsWith(BASE_URL), url);
    assert.match(secret, /^[0-9a-f]{32,}$/);
    assert.equal(await page.getByTestId('hook-row').count(), 1);
    await page.setViewportSize(WIDTHS.phone);
    await checkScreen(page, 'manage-hooks');
    await page.setViewportSize(WIDTHS.desktop);

    // Copy works (the page says so), and the copied values export the project.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE_URL });
    await page.getByTestId('copy-hook-secret-value').click();
    await assertText(page, 'copy-hook-secret-value', /^Copied$/);
    const body = '{"ref":"main"}';
    const called = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forgeflow-signature': sign(secret, body) }, body });
    assert.equal(called.status, 202);

    await page.getByTestId('hook-rotate').click();
    await page.waitForFunction((old) => {
      const shown = document.querySelector('[data-testid="hook-secret-value"]')?.textContent;
      return shown && shown !== old;
    }, secret);
    const rotated = await page.getByTestId('hook-secret-value').textContent();
    const stale = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forgeflow-signature': sign(secret, '{"n":2}') }, body: '{"n":2}' });
    assert.equal(stale.status, 401, 'the old secret stopped working');
    const fresh = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forgeflow-signature': sign(rotated, '{"n":3}') }, body: '{"n":3}' });
    assert.equal(fresh.status, 202);

    // The exports the hook started are in the history, each with its download.
    await page.getByTestId('tab-link-exports').click();
    await page.waitForFunction(
      () => [...document.querySelectorAll('[data-testid="export-row"][data-status="succeeded"]')].filter((row) => row.textContent.includes('zip')).length >= 2,
      null,
      { timeout: TIMEOUT_MS },
    );
  });
});

test('a webhook made through the API is listed, rotated and removed (with a confirm); its URL then refuses', async () => {
  const made = await call('POST', `/projects/${project.id}/hooks`, { token: user.token, body: { target: { type: 'tar.gz' } } });
  const hookUrl = new URL(made.url, BASE_URL).toString();
  await withPage('manage-hooks-list', { user, hash: `#/projects/${project.id}/automation` }, async (page) => {
    const row = page.locator(`[data-testid="hook-row"][data-hook="${made.id}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /tar\.gz, created just now/);
    assert.equal(await row.getByTestId('hook-row-url').textContent(), hookUrl);
    assert.ok(await page.getByTestId('hook-row').count() >= 2, 'the hook made in the page earlier is listed too');
    assert.ok(!(await row.innerText()).includes(made.secret), 'the list never shows a secret');

    await row.getByTestId('hook-rotate').click();
    await page.waitForFunction((old) => {
      const shown = document.querySelector('[data-testid="hook-secret-value"]')?.textContent;
      return shown && shown !== old;
    }, made.secret);
    assert.equal(await page.getByTestId('hook-url').textContent(), hookUrl, 'the rotated hook keeps its URL');
    const rotated = await page.getByTestId('hook-secret-value').textContent();
    await row.getByText(/secret rotated just now/).waitFor();
    const signed = (secret, body) => fetch(hookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forgeflow-signature': sign(secret, body) }, body });
    assert.equal((await signed(made.secret, '{"n":1}')).status, 401, 'the old secret stopped working');
    assert.equal((await signed(rotated, '{"n":2}')).status, 202, 'the rotated secret works');

    // Remove asks first, and can be taken back; confirmed, the row goes and the URL refuses even a
    // well-signed call.
    await row.getByTestId('hook-remove').click();
    const confirm = row.getByTestId('hook-remove-confirm');
    await confirm.waitFor();
    await row.getByTestId('hook-remove-confirm-cancel').click();
    await confirm.waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'hook-remove', 'focus goes back to Remove');
    await row.getByTestId('hook-remove').click();
    await confirm.waitFor();
    await checkBothWidths(page, 'manage-hooks-list');
    assert.equal((await signed(rotated, '{"n":3}')).status, 202, 'nothing is removed before the confirm');
    await confirm.click();
    await row.waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('hook-secret').count(), 0, 'the removed hook\'s secret is no longer shown');
    assert.equal((await signed(rotated, '{"n":4}')).status, 401, 'a removed hook refuses every call');
    const listed = await call('GET', `/projects/${project.id}/hooks`, { token: user.token });
    assert.ok(!listed.items.some((hook) => hook.id === made.id));
    await page.reload();
    await page.getByTestId('hook-row').first().waitFor();
    assert.equal(await row.count(), 0, 'still gone after a reload');
  });
});

test('usage: the monthly budget is saved and shown', async () => {
  await withPage('manage-usage', { user, hash: '#/usage' }, async (page) => {
    await assertText(page, 'budget-status', /No monthly budget/);
    await page.getByTestId('monthly-cost').fill('25');
    await page.getByTestId('budget-save').click();
    await assertText(page, 'budget-status', /^Budget: \$25\.00 a month\.$/);
    await page.getByTestId('usage-projects').getByText('Tool library').waitFor();
    await page.getByTestId('monthly-cost').fill('0');
    await page.getByTestId('budget-save').click();
    await assertText(page, 'monthly-cost-error', /^Max cost \(USD\) must be/);
    await waitForAttribute(page, 'connection', 'data-state', 'live');
  });
});

test('a project imported from an uploaded archive shows its files, history kept', { timeout: TIMEOUT_MS * 2 }, async () => {
  // The archive: this user's first project exported as a zip (files plus .git).
  const generations = await call('GET', `/projects/${project.id}/generations`, { token: user.token });
  let exp = await call('POST', `/generations/${generations.items[0].id}/exports`, { token: user.token, body: { target: { type: 'zip' } } });
  while (exp.status !== 'succeeded') {
    await new Promise((resolve) => setTimeout(resolve, 250));
    exp = await call('GET', `/exports/${exp.id}`, { token: user.token });
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'forgeflow-import-'));
  const archive = path.join(dir, 'tool-library.zip');
  writeFileSync(archive, Buffer.from(await (await fetch(exp.result.download_url)).arrayBuffer()));
  try {
    await withPage('manage-import', { user, hash: '#/new' }, async (page) => {
      await page.getByTestId('project-name').fill('Imported tools');
      await page.getByTestId('project-brief').fill('The tool library, brought in from its archive.');
      await page.getByTestId('start-import').check();
      // Without an archive the form says what is missing, next to the field.
      await page.getByTestId('start').click();
      await assertText(page, 'import-file-error', /choose an archive/i);
      await page.getByTestId('import-file').setInputFiles(archive);
      await page.getByTestId('start').click();
      await page.getByTestId('tab-files').waitFor();
      await assertText(page, 'viewer-path', /^README\.md$/);
      await assertText(page, 'code', /Tool library/);
      await checkScreen(page, 'manage-import');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a project is edited (a stale edit is refused) and deleted', async () => {
  const other = await call('POST', '/projects', { token: user.token, body: { name: 'Scratch', brief: 'A project to edit and delete.' } });
  await withPage('manage-project-settings', { user, hash: `#/projects/${other.id}/settings` }, async (page) => {
    await page.getByTestId('edit-name').fill('Scratch pad');
    await page.getByTestId('edit-auto-export').check();
    await page.getByTestId('edit-save').click();
    await assertText(page, 'edit-saved', /^Saved \(version 2\)\.$/);
    await assertText(page, 'project-title', /^Scratch pad$/);
    const stored = await call('GET', `/projects/${other.id}`, { token: user.token });
    assert.equal(stored.name, 'Scratch pad');
    assert.equal(stored.settings.auto_export, true);
    await checkScreen(page, 'manage-project-settings');

    // Changed elsewhere meanwhile: this page's version is stale.
    await call('PATCH', `/projects/${other.id}`, { token: user.token, body: { version: 2, brief: 'Edited in another tab.' } });
    await page.getByTestId('edit-name').fill('Scratch pad 2');
    await page.getByTestId('edit-save').click();
    await assertText(page, 'edit-error', /changed this project meanwhile/);

    await page.getByTestId('delete-project').click();
    await page.getByTestId('delete-confirm-cancel').click();
    await page.getByTestId('delete-confirm').waitFor({ state: 'hidden' });
    assert.equal(await call('GET', `/projects/${other.id}`, { token: user.token }).then((p) => p.id), other.id, 'cancelled: nothing deleted');
    await page.getByTestId('delete-project').click();
    await page.getByTestId('delete-confirm').click();
    await page.getByTestId('projects-view').waitFor();
    await page.getByTestId('project-row').first().waitFor();
    const names = await page.getByTestId('project-row').locator('.project-name').allTextContents();
    assert.ok(!names.some((n) => n.startsWith('Scratch')), `deleted project still listed: ${names}`);
  });
});

test('the projects list comes in one request and shows a run started elsewhere as running, then done, live', { timeout: TIMEOUT_MS * 2 }, async () => {
  const fresh = await call('POST', '/projects', { token: user.token, body: { name: 'Watched', brief: 'Members borrow books.' } });
  const perProject = [];
  const beforeLoad = (page) =>
    page.on('request', (request) => {
      if (/\/projects\/[^/?]+\/executions/.test(new URL(request.url()).pathname)) perProject.push(`${request.method()} ${request.url()}`);
    });
  await withPage('manage-live-list', { user, beforeLoad }, async (page) => {
    const selector = `[data-testid="project-row"][data-project="${fresh.id}"]`;
    const row = page.locator(selector);
    await row.getByText('Not run yet').waitFor();
    // The other projects' last runs came with the list.
    await page.locator(`[data-testid="project-row"][data-project="${project.id}"][data-status="succeeded"]`).waitFor();
    await waitForAttribute(page, 'connection', 'data-state', 'live');
    await new Promise((resolve) => setTimeout(resolve, 500)); // the rows' subscriptions are confirmed
    // Every status the row shows from now on, however briefly.
    await page.evaluate((sel) => {
      window.__statuses = [];
      const list = document.querySelector('[data-testid="project-list"]');
      new MutationObserver(() => {
        const status = document.querySelector(sel)?.dataset.status;
        if (status && window.__statuses.at(-1) !== status) window.__statuses.push(status);
      }).observe(list, { subtree: true, childList: true, attributes: true });
    }, selector);
    const run = await call('POST', `/projects/${fresh.id}/executions`, { token: user.token, body: {} });
    await page.locator(`${selector}[data-status="succeeded"]`).waitFor({ timeout: TIMEOUT_MS });
    const statuses = await page.evaluate(() => window.__statuses);
    assert.ok(statuses.indexOf('running') >= 0 && statuses.indexOf('running') < statuses.indexOf('succeeded'), `the row showed ${statuses.join(' → ')}`);
    assert.equal((await waitForRun(user, run.id)).status, 'succeeded');
    assert.match(await row.getByTestId('project-last-run').textContent(), /just now/);
    assert.deepEqual(perProject, [], 'no request per project for its runs');
  });
});

test('agents and workflows: a new agent and a workflow, then a run of that workflow with a gate and a cancel', { timeout: TIMEOUT_MS * 2 }, async () => {
  await withPage('manage-agents', { user, hash: '#/agents' }, async (page) => {
    await page.locator('[data-testid="workflow"][data-workflow="full-project"]').waitFor();
    await checkScreen(page, 'screen-agents');
    await page.setViewportSize(WIDTHS.phone);
    await checkScreen(page, 'screen-agents');
    await page.setViewportSize(WIDTHS.desktop);

    await page.getByTestId('agent-name').fill('Summariser');
    await page.getByTestId('agent-prompt').fill('Summarise the brief in one sentence.');
    await page.getByTestId('agent-contract').fill('{ "type": ');
    await page.getByTestId('agent-create').click();
    await assertText(page, 'agent-contract-error', /not valid JSON/);
    await page.getByTestId('agent-contract').fill(JSON.stringify({ type: 'object', required: ['summary'], properties: { summary: { type: 'string' } } }));
    await page.getByTestId('agent-create').click();
    await page.getByTestId('agent').filter({ hasText: 'Summariser' }).waitFor();

    await page.getByTestId('workflow-name').fill('Plan only');
    await page.getByTestId('workflow-steps').fill(JSON.stringify([{ id: 'plan', agent: 'product-manager' }, { id: 'check', agent: 'reviewer', depends_on: ['nope'] }]));
    await page.getByTestId('workflow-create').click();
    await assertText(page, 'workflow-error', /nope|depend/i);
    await page.getByTestId('workflow-steps').fill(JSON.stringify([{ id: 'plan', agent: 'product-manager' }, { id: 'architecture', agent: 'architect', depends_on: ['plan'] }]));
    await page.getByTestId('workflow-create').click();
    await page.getByTestId('workflow').filter({ hasText: 'Plan only' }).waitFor();

    await page.goto(`${BASE_URL}/#/projects/${project.id}`);
    await page.getByTestId('run-options').locator('summary').click();
    await page.getByTestId('run-workflow').selectOption({ label: 'Plan only' });
    await page.getByTestId('gate-architecture').check();
    await page.getByTestId('run-again').click();
    await waitForAttribute(page, 'execution-status', 'data-status', 'awaiting_approval');
    assert.deepEqual(await page.getByTestId('step').evaluateAll((rows) => rows.map((r) => r.dataset.step)), ['plan', 'architecture']);
    await page.getByTestId('cancel-run').click();
    await waitForAttribute(page, 'execution-status', 'data-status', 'cancelled');
    await page.getByTestId('retry-form').waitFor();
  });
});

test('generate again with another template, and the audit log in Settings', { timeout: TIMEOUT_MS * 2 }, async () => {
  await withPage('manage-regenerate', { user, hash: `#/projects/${project.id}/files` }, async (page) => {
    await assertText(page, 'viewer-path', /README\.md/);
    await page.getByTestId('regen-template').selectOption('react-vite');
    await page.getByTestId('regenerate').click();
    await page.locator('[data-testid="tree-file"][data-path="package.json"]').waitFor({ timeout: TIMEOUT_MS });
    await page.getByTestId('tab-link-settings').count();
    await page.goto(`${BASE_URL}/#/settings`);
    await page.getByTestId('audit-entry').filter({ hasText: 'POST /projects/{id}/generations' }).first().waitFor();
  });
});
