// Managing a project and an account in the page: provider tokens in Settings, the export
// schedule and a webhook (whose URL and secret, copied from the page, really export), an export
// to GitHub followed in the history, and the monthly budget.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  BASE_URL, TIMEOUT_MS, WIDTHS, assertText, call, checkScreen, registerUser, startBrowser, stopBrowser, waitForAttribute,
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

test('an export to GitHub is started with the saved token and followed in the history', async () => {
  await call('PUT', '/credentials/github', { token: user.token, body: { token: 'ghp_example_token' } });
  await withPage('manage-github', { user, hash: `#/projects/${project.id}/exports` }, async (page) => {
    await page.getByTestId('forge-repository').fill('ada/tool-library');
    await page.getByTestId('forge-branch').fill('main');
    await page.getByTestId('forge-export').click();
    const row = page.getByTestId('export-row').first();
    await row.getByText('GitHub ada/tool-library (main)').waitFor();
    // The stack's GitHub is unreachable on purpose: the export shows it is delivering, live.
    await page.waitForSelector('[data-testid="export-row"] [data-testid="export-phase"][data-phase="delivering"]', { timeout: TIMEOUT_MS });
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

test('usage: the monthly budget is saved and shown', async () => {
  await withPage('manage-usage', { user, hash: '#/usage' }, async (page) => {
    await assertText(page, 'budget-status', /No monthly budget/);
    await page.getByTestId('monthly-cost').fill('25');
    await page.getByTestId('budget-save').click();
    await assertText(page, 'budget-status', /^Budget: \$25\.00 a month\.$/);
    await page.getByTestId('usage-projects').getByText('Tool library').waitFor();
    await page.getByTestId('monthly-cost').fill('0');
    await page.getByTestId('budget-save').click();
    await assertText(page, 'budget-error', /\S/);
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
