// What a person does in the page, in real headless Chromium: register, write a brief and watch
// the run move live over the WebSocket, export and download; change the project and read the
// diff; approve and reject a gated step; resume after a dropped socket; and a refused password.
// Needs a running stack: FORGEFLOW_API_URL (scripts/test-browser.sh starts one).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  ARTIFACTS, PASSWORD, TIMEOUT_MS, WIDTHS, assertFitsScreen, assertText, call, checkScreen, registerUser, startBrowser,
  stopBrowser, uniqueEmail, waitForAttribute, waitForRun, withPage,
} from './lib.mjs';

before(startBrowser);
after(stopBrowser);

async function writeBrief(page, name = 'Lending library') {
  await page.getByTestId('project-name').fill(name);
  await page.getByTestId('project-brief').fill('Members borrow and return books; the library sends reminders before due dates.');
  await page.getByTestId('project-template').selectOption('python-fastapi');
}

async function stepStates(page) {
  return page.getByTestId('step').evaluateAll((rows) =>
    rows.map((row) => ({ step: row.dataset.step, status: row.dataset.status, tokens: row.querySelector('[data-testid="step-tokens"]').textContent })),
  );
}

test('a brief becomes a run that moves live, then a downloadable zip, on a phone screen', { timeout: TIMEOUT_MS * 2 }, async () => {
  await withPage('flow-brief', { width: 'phone' }, async (page) => {
    await page.getByTestId('auth-email').fill(uniqueEmail('flow'));
    await page.getByTestId('auth-password').fill(PASSWORD);
    await page.getByTestId('register').click();
    await page.getByTestId('projects-view').waitFor();
    await assertText(page, 'projects-empty', /No projects yet/);
    await waitForAttribute(page, 'connection', 'data-state', 'live');

    await page.getByTestId('new-project').click();
    // An API error shows next to the field it names.
    await page.getByTestId('start').click();
    await assertText(page, 'project-name-error', /must not be empty/i);
    assert.equal(await page.getByTestId('project-name').getAttribute('aria-invalid'), 'true');

    await writeBrief(page);
    // Record what the timeline shows while the run goes: it moves before the run ends.
    await page.getByTestId('start').click();
    await page.getByTestId('run-view').waitFor();
    // From here the run, its steps and its files arrive over the socket only: no HTTP polling.
    const calls = [];
    const record = (request) => {
      if (!request.url().startsWith('ws')) calls.push(`${request.method()} ${new URL(request.url()).pathname}`);
    };
    page.on('request', record);
    const seen = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const statuses = new Set();
          const look = () => {
            for (const row of document.querySelectorAll('[data-testid="step"]')) statuses.add(row.dataset.status);
            if (document.querySelector('[data-testid="execution-status"]')?.dataset.status === 'succeeded') resolve([...statuses]);
            else requestAnimationFrame(look);
          };
          look();
        }),
    );
    assert.ok(seen.includes('succeeded') && seen.some((s) => s !== 'succeeded'), `the steps changed live: ${seen}`);
    const steps = await stepStates(page);
    assert.deepEqual(steps.map((s) => s.step), ['plan', 'architecture', 'code', 'tests', 'review']);
    for (const step of steps) {
      assert.equal(step.status, 'succeeded', `step ${step.step}`);
      assert.match(step.tokens, /^[\d,.k]+ in · [\d,.k]+ out$/, `tokens of step ${step.step}`);
    }
    await waitForAttribute(page, 'files-text', 'data-state', 'done');
    page.off('request', record);
    assert.deepEqual(calls, [], 'the page polled while the socket was up');

    await page.getByTestId('export-zip').click();
    await waitForAttribute(page, 'export-phase', 'data-phase', 'done');
    const href = await page.getByTestId('download-link').getAttribute('href');
    const archive = await page.request.get(href);
    assert.equal(archive.status(), 200);
    assert.equal((await archive.body()).subarray(0, 2).toString('latin1'), 'PK', 'zip magic bytes');
    await assertFitsScreen(page, 'run');
    await page.screenshot({ path: path.join(ARTIFACTS, 'flow-run-375.png'), fullPage: true });

    // The projects list shows it, found by search.
    await page.getByRole('link', { name: 'Projects' }).first().click();
    await page.getByTestId('project-search').fill('lending');
    await assertText(page, 'project-status', /Succeeded/);
  });
});

test('a change request runs live and its diff shows what changed; exporting again reaches the same target', { timeout: TIMEOUT_MS * 2 }, async () => {
  const user = await registerUser('flow-change');
  const project = await call('POST', '/projects', { token: user.token, body: { name: 'Library', brief: 'Members borrow books.', template: 'python-fastapi' } });
  const run = await call('POST', `/projects/${project.id}/executions`, { token: user.token, body: {} });
  await withPage('flow-change', { user, hash: `#/projects/${project.id}/exports` }, async (page) => {
    // Opened while the run still goes: the tab offers the export once the files are ready.
    await page.getByTestId('export-tar-gz').waitFor({ timeout: TIMEOUT_MS });
    await assertText(page, 'exports-empty', /Not exported yet/);
    await page.getByTestId('export-again').click();
    await assertText(page, 'again-error', /export/i);
    await page.getByTestId('export-tar-gz').click();
    await waitForAttribute(page, 'export-phase', 'data-phase', 'done');
    await page.locator('[data-testid="export-row"][data-status="succeeded"]').waitFor();

    await page.getByTestId('tab-link-changes').click();
    await page.getByTestId('change-request').fill('Add a field isbn to books');
    await page.getByTestId('request-change').click();
    await page.locator('[data-testid="step"][data-step="patch"]').waitFor();
    await waitForAttribute(page, 'execution-status', 'data-status', 'succeeded');
    assert.deepEqual((await stepStates(page)).map((s) => s.step), ['plan', 'design', 'patch', 'review']);
    await waitForAttribute(page, 'files-text', 'data-state', 'done');

    await page.getByTestId('project-link').click();
    await page.getByTestId('tab-link-changes').click();
    await assertText(page, 'diff-stat', /^\d+ files changed: .*modified/);
    await page.getByTestId('diff-file').filter({ hasText: 'modified' }).first().locator('summary').click();
    await page.locator('.diff-add').first().waitFor();

    await page.getByTestId('tab-link-exports').click();
    await page.getByTestId('export-again').click();
    await page.locator('[data-testid="export-row"]').nth(1).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="export-row"][data-status="succeeded"]').length >= 2, null, { timeout: TIMEOUT_MS });
    assert.match(await page.getByTestId('export-row').first().innerText(), /tar\.gz/);
  });
});

test('a gated run waits: reject with feedback, then approve an edited plan', { timeout: TIMEOUT_MS * 2 }, async () => {
  const user = await registerUser('flow-gate');
  const project = await call('POST', '/projects', { token: user.token, body: { name: 'Gated', brief: 'Members borrow books.', template: 'rust-axum' } });
  await withPage('flow-gate', { user, hash: `#/projects/${project.id}` }, async (page) => {
    await assertText(page, 'estimate-total', /tokens/);
    await page.getByTestId('run-options').locator('summary').click();
    await page.getByTestId('gate-plan').check();
    await page.getByTestId('approval-hours').fill('24');
    await page.getByTestId('budget-cost').fill('3');
    await page.getByTestId('run-again').click();
    await page.getByTestId('approval').waitFor({ timeout: TIMEOUT_MS });
    await waitForAttribute(page, 'execution-status', 'data-status', 'awaiting_approval');
    await assertText(page, 'approval-stories', /S1/);
    await assertText(page, 'approval', /cancelled at .* \(in (1 d|2[34] h)\)/);
    await assertText(page, 'run-budget', /\$3\.00/);
    await checkScreen(page, 'flow-approval');
    await page.setViewportSize(WIDTHS.phone);
    await checkScreen(page, 'flow-approval');
    await page.setViewportSize(WIDTHS.desktop);

    // Rejected: the step runs again with the feedback, then waits again.
    await page.getByTestId('approval-feedback').fill('Split borrowing and returning into two stories.');
    await page.getByTestId('reject').click();
    await assertText(page, 'approval-round', /^Written again after 1 rejection\.$/);

    // A broken edit is refused on the page; a valid edit is approved and later steps run.
    await page.getByTestId('approval-artifact').fill('{ not json');
    await page.getByTestId('approve').click();
    await assertText(page, 'approval-artifact-error', /not valid JSON/);
    const artifact = JSON.parse(JSON.stringify((await call('GET', `/executions/${page.url().split('/').pop()}`, { token: user.token })).steps[0].output));
    artifact.stories[0].title = 'Borrow a book (edited)';
    await page.getByTestId('approval-artifact').fill(JSON.stringify(artifact, null, 2));
    await page.getByTestId('approve').click();
    await waitForAttribute(page, 'execution-status', 'data-status', 'succeeded');
    assert.equal(await page.getByTestId('approval').count(), 0);

    await page.getByTestId('project-link').click();
    await page.getByTestId('tab-link-plan').click();
    await assertText(page, 'story-title', /Borrow a book \(edited\)/);
  });
});

test('a run over its budget stops, and a retry with a raised budget goes on', { timeout: TIMEOUT_MS * 2 }, async () => {
  const user = await registerUser('flow-budget');
  const project = await call('POST', '/projects', { token: user.token, body: { name: 'Budgeted', brief: 'Members borrow books.' } });
  const run = await call('POST', `/projects/${project.id}/executions`, { token: user.token, body: { budget: { max_tokens: 600 } } });
  await waitForRun(user, run.id, ['budget_exceeded', 'failed', 'succeeded']);
  await withPage('flow-budget', { user, hash: `#/projects/${project.id}/runs/${run.id}` }, async (page) => {
    await waitForAttribute(page, 'execution-status', 'data-status', 'budget_exceeded');
    await assertText(page, 'run-status-chip', /Over budget/);
    await page.getByTestId('retry-tokens').fill('100000');
    await page.getByTestId('retry').click();
    await waitForAttribute(page, 'execution-status', 'data-status', 'succeeded');
    assert.ok((await stepStates(page)).every((s) => s.status === 'succeeded'));
  });
});

/** Passes frames through, but ends the first connection once the page has the execution's third event. */
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

test('a dropped socket shows it is reconnecting, then resumes after the last event it had', { timeout: TIMEOUT_MS * 2 }, async () => {
  const user = await registerUser('flow-reconnect');
  const record = { connections: [] };
  await withPage('flow-reconnect', { user, hash: '#/new', beforeLoad: (page) => dropFirstConnection(page, record) }, async (page) => {
    const states = page.evaluate(
      () =>
        new Promise((resolve) => {
          const seen = [];
          const badge = document.querySelector('[data-testid="connection"]');
          new MutationObserver(() => {
            seen.push(badge.dataset.state);
            if (seen.includes('reconnecting') && badge.dataset.state === 'live') resolve(seen);
          }).observe(badge, { attributes: true });
        }),
    );
    await writeBrief(page);
    await page.getByTestId('start').click();
    await waitForAttribute(page, 'execution-status', 'data-status', 'succeeded');
    const badge = await states;
    assert.ok(badge.includes('reconnecting'), `the badge said so: ${badge}`);
    assert.equal(badge.at(-1), 'live');
    assert.ok(record.connections.length >= 2, `the page connected ${record.connections.length} time(s)`);
    const resubscribe = record.connections[1].find((m) => m.action === 'subscribe' && m.topic.startsWith('execution:'));
    assert.ok(resubscribe, 'the second connection subscribes to the execution again');
    assert.ok(resubscribe.after_seq >= 3, `it resumes after the events it had (after_seq ${resubscribe.after_seq})`);
    assert.ok((await stepStates(page)).every((s) => s.status === 'succeeded'));
  });
});

test('a wrong password is refused with a message and no session', async () => {
  const user = await registerUser('flow-login');
  await withPage('flow-login', {}, async (page) => {
    await page.getByTestId('auth-email').fill(user.email);
    await page.getByTestId('auth-password').fill('not the password');
    await page.getByTestId('auth-password').press('Enter');
    await assertText(page, 'auth-error', /wrong email or password/i);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('forgeflow.session')), null);
    await page.getByTestId('auth-password').fill(PASSWORD);
    await page.getByTestId('login').click();
    await page.getByTestId('projects-view').waitFor();
    assert.equal(await page.getByTestId('session-user').textContent(), user.email);
    await page.getByTestId('logout').click();
    await page.getByTestId('auth-view').waitFor();
  });
});

test('a session the server no longer accepts ends with a message and the sign-in form', async () => {
  const user = await registerUser('flow-expired');
  const forged = { ...user, token: `${user.token.slice(0, -4)}AAAA` };
  await withPage('flow-expired', { user: forged }, async (page) => {
    await page.getByTestId('auth-view').waitFor();
    await assertText(page, 'page-error', /session has ended/i);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('forgeflow.session')), null);
    assert.equal(await page.getByTestId('connection').getAttribute('data-state'), 'offline');
  });
});
