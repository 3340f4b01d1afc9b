// The web page as a person uses it, in real headless Chromium on a phone-sized screen:
// register, write a brief, start the workflow, watch it over the WebSocket, export, download.
// Needs a running stack: FORGEFLOW_API_URL (scripts/test-browser.sh starts one).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ARTIFACTS = path.join(ROOT, 'target', 'artifacts');
const BASE_URL = (process.env.FORGEFLOW_API_URL ?? '').replace(/\/+$/, '');
const CHROMIUM = process.env.FORGEFLOW_CHROMIUM ?? '/usr/bin/chromium';
const PASSWORD = 'correct horse battery';
const FLOW_TIMEOUT_MS = 120_000;
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let context;
let userDataDir;

before(async () => {
  assert.ok(BASE_URL, 'FORGEFLOW_API_URL must name the running stack (scripts/test-browser.sh sets it)');
  mkdirSync(ARTIFACTS, { recursive: true });
  userDataDir = mkdtempSync(path.join(tmpdir(), 'forgeflow-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 1,
    isMobile: false,
  });
});

after(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

function uniqueEmail(label) {
  return `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/** A fresh tab (so a fresh sessionStorage) that records what went wrong in the page. */
async function openPage(beforeLoad) {
  const page = await context.newPage();
  await beforeLoad?.(page);
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  await page.goto(`${BASE_URL}/`);
  await page.waitForSelector('body[data-ready="true"]');
  return { page, problems };
}

/** Runs a test body; on failure saves a screenshot and prints what the page logged. */
async function withPage(name, body, { beforeLoad } = {}) {
  const { page, problems } = await openPage(beforeLoad);
  try {
    await body(page);
    const crashes = problems.filter((problem) => problem.startsWith('page error'));
    assert.deepEqual(crashes, [], 'the page threw');
  } catch (err) {
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}-failure.png`), fullPage: true }).catch(() => {});
    const state = await page.locator('main').innerText().catch(() => '(no text)');
    err.message += `\n--- page text ---\n${state}\n--- page problems ---\n${problems.join('\n') || '(none)'}`;
    throw err;
  } finally {
    await page.close();
  }
}

async function register(page, email) {
  await page.getByTestId('auth-email').fill(email);
  await page.getByTestId('auth-password').fill(PASSWORD);
  await page.getByTestId('register').click();
  await page.getByTestId('brief-view').waitFor({ state: 'visible' });
}

async function writeBrief(page) {
  await page.getByTestId('project-name').fill('Lending library');
  await page
    .getByTestId('project-brief')
    .fill('Members borrow and return books; the library sends reminders before due dates.');
  await page.getByTestId('project-template').selectOption('python-fastapi');
  await page.getByTestId('format-zip').check();
}

async function stepStates(page) {
  return page.getByTestId('step').evaluateAll((rows) =>
    rows.map((row) => ({
      step: row.dataset.step,
      status: row.dataset.status,
      tokens: row.querySelector('[data-testid="step-tokens"]').textContent,
    })),
  );
}

async function waitForAttribute(page, testId, attribute, value) {
  await page.waitForSelector(`[data-testid="${testId}"][${attribute}="${value}"]`, { timeout: FLOW_TIMEOUT_MS });
}

test('a brief becomes a downloadable zip, with live progress, on a phone screen', { timeout: FLOW_TIMEOUT_MS * 2 }, async () => {
  await withPage('browser-flow', async (page) => {
    await register(page, uniqueEmail('browser-flow'));

    // An API error shows next to the field it names.
    await page.getByTestId('start').click();
    await assertText(page, 'project-name-error', /must not be empty/i);
    assert.equal(await page.getByTestId('project-name').getAttribute('aria-invalid'), 'true');

    await writeBrief(page);
    await page.getByTestId('start').click();
    await page.getByTestId('run-view').waitFor({ state: 'visible' });
    await waitForAttribute(page, 'connection', 'data-state', 'live');

    // Every step of the full-project workflow succeeds, each with its token counts.
    await waitForAttribute(page, 'execution-status', 'data-status', 'succeeded');
    const steps = await stepStates(page);
    assert.deepEqual(
      steps.map((s) => s.step),
      ['plan', 'architecture', 'code', 'tests', 'review'],
    );
    for (const step of steps) {
      assert.equal(step.status, 'succeeded', `step ${step.step}`);
      assert.match(step.tokens, /^[\d,]+ in · [\d,]+ out tokens$/, `tokens of step ${step.step}`);
    }

    // The files progress bar fills up.
    await waitForAttribute(page, 'files-text', 'data-state', 'done');
    const files = await page.getByTestId('files-progress').evaluate((bar) => ({ value: bar.value, max: bar.max }));
    assert.ok(files.max > 1, `some files were written: ${JSON.stringify(files)}`);
    assert.equal(files.value, files.max);

    // The page exported the generation and offers the archive.
    await waitForAttribute(page, 'export-phase', 'data-phase', 'done');
    const download = page.getByTestId('download-link');
    await download.waitFor({ state: 'visible' });
    assert.equal(await page.getByTestId('repository-link').isVisible(), false);
    const href = await download.getAttribute('href');
    assert.ok(href, 'the download link has an address');

    const archive = await page.request.get(href);
    assert.equal(archive.status(), 200);
    const bytes = await archive.body();
    assert.ok(bytes.length > 22, `a zip, not ${bytes.length} bytes`);
    assert.equal(bytes.subarray(0, 2).toString('latin1'), 'PK', 'zip magic bytes');

    await assertFitsScreen(page);
    await page.screenshot({ path: path.join(ARTIFACTS, 'browser-flow.png'), fullPage: true });

    // A change request runs in the same view: its steps, its diff, and a second export.
    await page.getByTestId('change-request').fill('Add a field isbn to books');
    await page.getByTestId('request-change').click();
    await page.locator('[data-testid="step"][data-step="patch"]').waitFor();
    await waitForAttribute(page, 'execution-status', 'data-status', 'succeeded');
    assert.deepEqual(
      (await stepStates(page)).map((s) => [s.step, s.status]),
      [['plan', 'succeeded'], ['design', 'succeeded'], ['patch', 'succeeded'], ['review', 'succeeded']],
    );
    await page.getByTestId('diff').waitFor({ state: 'visible' });
    await assertText(page, 'diff-stat', /^\d+ files changed: .*modified/);
    await assertText(page, 'diff-files', /modified \S+ \(\+\d+ −\d+\)/);
    await waitForAttribute(page, 'export-phase', 'data-phase', 'done');
    const second = await page.getByTestId('download-link').getAttribute('href');
    assert.ok(second && second !== href, 'a new archive of the changed project');
    await assertFitsScreen(page);
    await page.screenshot({ path: path.join(ARTIFACTS, 'browser-change.png'), fullPage: true });
  });
});

/**
 * Sits between the page and the server's /ws: passes every frame through, but ends the first
 * connection once the page has been sent the execution's third event.
 */
function dropFirstConnection(page, record) {
  return page.routeWebSocket(/\/ws$/, (ws) => {
    const connection = record.connections.length + 1;
    const sent = [];
    record.connections.push(sent);
    const server = ws.connectToServer();
    let dropped = false;
    let dropping = false;
    ws.onMessage((message) => {
      sent.push(JSON.parse(message));
      server.send(message);
    });
    server.onMessage((message) => {
      if (dropped) return;
      ws.send(message);
      const frame = JSON.parse(message);
      const third = frame.type === 'events' && frame.topic.startsWith('execution:') && frame.events.some((e) => e.seq >= 3);
      if (connection === 1 && third && !dropping) {
        // Closed a moment after the third event is handed over, not in the same turn: a close
        // racing the frame could reach the page first, and then it rightly never had the event.
        dropping = true;
        setTimeout(() => {
          dropped = true;
          ws.close({ code: 1011, reason: 'dropped by the test' });
          server.close();
        }, 250);
      }
    });
  });
}

test('a dropped socket reconnects and resumes after the last event it had', { timeout: FLOW_TIMEOUT_MS * 2 }, async () => {
  const record = { connections: [] };
  await withPage(
    'browser-reconnect',
    async (page) => {
      await register(page, uniqueEmail('browser-reconnect'));
      await writeBrief(page);
      await page.getByTestId('format-tar-gz').check();
      await page.getByTestId('start').click();
      await waitForAttribute(page, 'export-phase', 'data-phase', 'done');

      assert.ok(record.connections.length >= 2, `the page connected ${record.connections.length} time(s)`);
      const resubscribe = record.connections[1].find((m) => m.action === 'subscribe' && m.topic.startsWith('execution:'));
      assert.ok(resubscribe, 'the second connection subscribes to the execution again');
      assert.ok(resubscribe.after_seq >= 3, `it resumes after the events it had (after_seq ${resubscribe.after_seq})`);
      const steps = await stepStates(page);
      assert.equal(steps.length, 5);
      assert.ok(steps.every((s) => s.status === 'succeeded'), JSON.stringify(steps));
      assert.equal(await page.getByTestId('execution-status').getAttribute('data-status'), 'succeeded');
      assert.match(await page.getByTestId('download-link').textContent(), /tar\.gz/);
    },
    { beforeLoad: (page) => dropFirstConnection(page, record) },
  );
});

test('a wrong password is refused with a message and no session', async () => {
  const email = uniqueEmail('browser-login');
  const registered = await fetch(`${BASE_URL}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  assert.equal(registered.status, 201);

  await withPage('browser-login', async (page) => {
    await page.getByTestId('auth-email').fill(email);
    await page.getByTestId('auth-password').fill('not the password');
    await page.getByTestId('auth-password').press('Enter'); // Enter signs in: the keyboard path
    await assertText(page, 'auth-error', /wrong email or password/i);
    assert.equal(await page.getByTestId('auth-view').isVisible(), true);
    assert.equal(await page.getByTestId('brief-view').isVisible(), false);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('forgeflow.session')), null);

    // The right one gets in.
    await page.getByTestId('auth-password').fill(PASSWORD);
    await page.getByTestId('login').click();
    await page.getByTestId('brief-view').waitFor({ state: 'visible' });
    assert.equal(await page.getByTestId('session-user').textContent(), email);
  });
});

async function assertText(page, testId, pattern) {
  const element = page.getByTestId(testId);
  await element.waitFor({ state: 'visible' });
  await page.waitForFunction(
    ({ id, source, flags }) => new RegExp(source, flags).test(document.querySelector(`[data-testid="${id}"]`)?.textContent ?? ''),
    { id: testId, source: pattern.source, flags: pattern.flags },
  );
  assert.match(await element.textContent(), pattern);
}

/** Nothing sticks out sideways at 390 px: no horizontal scrolling. */
async function assertFitsScreen(page) {
  const widths = await page.evaluate(() => ({
    page: document.documentElement.scrollWidth,
    screen: document.documentElement.clientWidth,
  }));
  assert.ok(widths.page <= widths.screen, `page is ${widths.page}px wide on a ${widths.screen}px screen`);
}
