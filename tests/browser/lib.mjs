// What the browser tests share: one Chromium, pages that record crashes and CSP violations, the
// API for setting things up quickly, an axe-core check, and screenshots at both widths.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ARTIFACTS = path.join(ROOT, 'target', 'artifacts');
export const BASE_URL = (process.env.FORGEFLOW_API_URL ?? '').replace(/\/+$/, '');
export const PASSWORD = 'correct horse battery';
export const TIMEOUT_MS = 120_000;
/**
 * The fake GitHub the stack delivers to (scripts/test-browser.sh starts the tests crate's
 * forge-server): its URL, and the one token it accepts and that token's user (TOKEN and USER in
 * tests/support/forge_server.rs).
 */
export const FORGE = { url: (process.env.FORGEFLOW_GITHUB_API_URL ?? '').replace(/\/+$/, ''), token: 'forge-test-token-5f2c9a7e1b04', user: 'forgeflow-bot' };
export const WIDTHS = { desktop: { width: 1280, height: 900 }, phone: { width: 375, height: 812 } };
const CHROMIUM = process.env.FORGEFLOW_CHROMIUM ?? '/usr/bin/chromium';
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let browser = null;
let userDataDir = null;

export async function startBrowser() {
  assert.ok(BASE_URL, 'FORGEFLOW_API_URL must name the running stack (scripts/test-browser.sh sets it)');
  mkdirSync(ARTIFACTS, { recursive: true });
  userDataDir = mkdtempSync(path.join(tmpdir(), 'forgeflow-chromium-'));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: WIDTHS.desktop,
    deviceScaleFactor: 1,
  });
  return browser;
}

export async function stopBrowser() {
  await browser?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
}

export function uniqueEmail(label) {
  return `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/** The HTTP API as a test uses it to set things up. */
export async function call(method, pathname, { token, body } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${BASE_URL}${pathname}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Error(`${method} ${pathname} → ${response.status} ${text}`);
  return data;
}

export async function registerUser(label) {
  const email = uniqueEmail(label);
  const answer = await call('POST', '/auth/register', { body: { email, password: PASSWORD } });
  return { email, token: answer.token, expiresAt: answer.expires_at };
}

/** Waits (over HTTP, test side only) until a run is in one of `statuses`. */
export async function waitForRun(user, executionId, statuses = ['succeeded']) {
  const until = Date.now() + TIMEOUT_MS;
  for (;;) {
    const run = await call('GET', `/executions/${executionId}`, { token: user.token });
    if (statuses.includes(run.status)) return run;
    if (Date.now() > until) throw new Error(`run ${executionId} is ${run.status}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function waitForGeneration(user, generationId) {
  const until = Date.now() + TIMEOUT_MS;
  for (;;) {
    const gen = await call('GET', `/generations/${generationId}`, { token: user.token }).catch(() => null);
    if (gen?.status === 'ready') return gen;
    if (Date.now() > until) throw new Error(`generation ${generationId} is ${gen?.status}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * A fresh tab that records crashes, console errors and CSP violations; signed in as `user`
 * when given (the session the page keeps in sessionStorage).
 */
export async function openPage({ user, hash = '', width = 'desktop', beforeLoad } = {}) {
  const page = await browser.newPage();
  await page.setViewportSize(WIDTHS[width]);
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  await page.exposeFunction('__cspViolation', (text) => problems.push(`csp: ${text}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolation(`${e.violatedDirective} ${e.blockedURI}`));
  });
  if (user) {
    await page.addInitScript((session) => {
      if (!sessionStorage.getItem('forgeflow.session')) sessionStorage.setItem('forgeflow.session', JSON.stringify(session));
    }, { token: user.token, email: user.email, expiresAt: user.expiresAt });
  }
  await beforeLoad?.(page);
  await page.goto(`${BASE_URL}/${hash}`);
  await ready(page);
  return { page, problems };
}

export async function ready(page) {
  await page.waitForSelector('body[data-ready="true"]', { timeout: TIMEOUT_MS });
}

/** Runs a test body in a page; fails on crashes, CSP violations or console CSP errors. */
export async function withPage(name, options, body) {
  const { page, problems } = await openPage(options);
  try {
    await body(page);
    const bad = problems.filter((p) => p.startsWith('page error') || p.startsWith('csp') || /content security policy/i.test(p));
    assert.deepEqual(bad, [], 'the page threw or broke its CSP');
  } catch (err) {
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}-failure.png`), fullPage: true }).catch(() => {});
    const text = await page.locator('main').innerText().catch(() => '(no text)');
    err.message += `\n--- page text ---\n${text}\n--- page problems ---\n${problems.join('\n') || '(none)'}`;
    throw err;
  } finally {
    await page.close();
  }
}

/** axe-core on the page as it is: no serious or critical violation. */
export async function assertAccessible(page, label) {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  assert.deepEqual(violations, [], `accessibility of ${label}`);
}

/** Nothing sticks out sideways: no horizontal scrolling. */
export async function assertFitsScreen(page, label) {
  const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, screen: document.documentElement.clientWidth }));
  assert.ok(widths.page <= widths.screen, `${label}: page is ${widths.page}px wide on a ${widths.screen}px screen`);
}

/** Screenshot, fit and axe at the page's current width. */
export async function checkScreen(page, name) {
  const { width } = page.viewportSize();
  await assertFitsScreen(page, `${name} at ${width}px`);
  await assertAccessible(page, `${name} at ${width}px`);
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}-${width}.png`), fullPage: true });
}

/** The same checks at 1280 px and at 375 px. */
export async function checkBothWidths(page, name) {
  for (const size of [WIDTHS.desktop, WIDTHS.phone]) {
    await page.setViewportSize(size);
    await checkScreen(page, name);
  }
  await page.setViewportSize(WIDTHS.desktop);
}

export async function assertText(page, testId, pattern) {
  const element = page.getByTestId(testId).first();
  await element.waitFor({ state: 'visible', timeout: TIMEOUT_MS });
  await page.waitForFunction(
    ({ id, source, flags }) => [...document.querySelectorAll(`[data-testid="${id}"]`)].some((e) => new RegExp(source, flags).test(e.textContent ?? '')),
    { id: testId, source: pattern.source, flags: pattern.flags },
    { timeout: TIMEOUT_MS },
  );
}

export async function waitForAttribute(page, testId, attribute, value) {
  await page.waitForSelector(`[data-testid="${testId}"][${attribute}="${value}"]`, { timeout: TIMEOUT_MS });
}
