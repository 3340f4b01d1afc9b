// Forgeflow's page: sign in, write a brief, start the full-project workflow, watch its steps,
// files and export live over the WebSocket (docs/progress.md), and download the result.
// Plain ES module, no build step.

const SESSION_KEY = 'forgeflow.session';
const RUN_KEY = 'forgeflow.run';
const PROTOCOL = 'forgeflow.v1';
const PING_EVERY_MS = 30_000;
const RECONNECT_BASE_MS = 500;
const RECONNECT_MAX_MS = 30_000;
const RESUBSCRIBE_AFTER_MS = 1_000;
const RESUBSCRIBE_ATTEMPTS = 30;

const STEP_LABELS = {
  pending: 'waiting',
  queued: 'queued',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
};

const PHASE_LABELS = {
  queued: 'Queued',
  committing: 'Committing the files to the git history',
  delivering: 'Writing the archive',
  building: 'Building the git history',
  archiving: 'Writing the archive',
  uploading: 'Uploading',
  pushing: 'Pushing',
  done: 'Done',
};

/** Everything the page knows; one object so that each function's inputs are visible. */
const state = {
  config: { apiUrl: '', wsUrl: '' },
  session: null, // {token, email, expiresAt}
  run: null, // {projectId, projectName, executionId, format, exportId}
  steps: new Map(), // step id → {status, inputTokens, outputTokens}
  exportStarting: false,
  feed: null,
};

/* ------------------------------------------------------------------ DOM helpers */

function byTestId(id, root = document) {
  return root.querySelector(`[data-testid="${id}"]`);
}

function show(element, visible) {
  element.hidden = !visible;
}

function formatCount(n) {
  return Number(n || 0).toLocaleString('en-US');
}

function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** "wrong email or password" → "Wrong email or password." */
function sentence(text) {
  const trimmed = String(text ?? '').trim();
  if (!trimmed) return '';
  const capital = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?…]$/.test(capital) ? capital : `${capital}.`;
}

/** Says something to screen-reader users through the polite live region. */
function announce(message) {
  byTestId('live-status').textContent = message;
}

/* ------------------------------------------------------------------ configuration */

function defaultWsUrl(apiUrl) {
  const url = new URL(apiUrl || window.location.origin, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/ws`;
  url.search = '';
  return url.toString();
}

/** Reads config.json; without one the API and the WebSocket are on this page's origin. */
async function loadConfig() {
  let config = {};
  try {
    const response = await fetch(new URL('config.json', document.baseURI), { cache: 'no-store' });
    if (response.ok) config = await response.json();
  } catch {
    // no config.json: same origin
  }
  const apiUrl = (config.apiUrl || '').replace(/\/+$/, '');
  return { apiUrl, wsUrl: config.wsUrl || defaultWsUrl(apiUrl) };
}

/* ------------------------------------------------------------------ the HTTP API */

class ApiError extends Error {
  constructor(status, { code = 'error', message = 'Something went wrong.', field = null } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

async function readJson(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function requestHeaders(hasBody) {
  const headers = { accept: 'application/json' };
  if (hasBody) headers['content-type'] = 'application/json';
  if (state.session) headers.authorization = `Bearer ${state.session.token}`;
  return headers;
}

/** One API call: the parsed JSON body, or an ApiError built from `{"error": {…}}`. */
async function api(method, path, body) {
  let response;
  try {
    response = await fetch(state.config.apiUrl + path, {
      method,
      headers: requestHeaders(body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { code: 'network', message: 'Could not reach Forgeflow. Check your connection and try again.' });
  }
  const data = await readJson(response);
  if (!response.ok) {
    throw new ApiError(response.status, data?.error ?? { message: `The server answered ${response.status}.` });
  }
  return data;
}

/* ------------------------------------------------------------------ session and run storage */

function loadStored(key) {
  try {
    return JSON.parse(sessionStorage.getItem(key));
  } catch {
    return null;
  }
}

function store(key, value) {
  if (value === null) sessionStorage.removeItem(key);
  else sessionStorage.setItem(key, JSON.stringify(value));
}

function loadSession() {
  const session = loadStored(SESSION_KEY);
  if (!session?.token) return null;
  if (session.expiresAt && Date.parse(session.expiresAt) <= Date.now()) return null;
  return session;
}

function setSession(session) {
  state.session = session;
  store(SESSION_KEY, session);
}

function setRun(run) {
  state.run = run;
  store(RUN_KEY, run);
}

function updateRun(changes) {
  setRun({ ...state.run, ...changes });
}

/* ------------------------------------------------------------------ views */

function showView(name) {
  for (const view of document.querySelectorAll('[data-view]')) {
    show(view, view.dataset.view === name);
  }
  show(byTestId('session'), state.session !== null);
  byTestId('session-user').textContent = state.session?.email ?? '';
}

function focusFirstField(viewName) {
  const view = document.querySelector(`[data-view="${viewName}"]`);
  view.querySelector('input, textarea, select, button')?.focus();
}

function showPageError(message) {
  const notice = byTestId('page-error');
  notice.textContent = message;
  show(notice, Boolean(message));
}

/* ------------------------------------------------------------------ form errors */

function clearErrors(form) {
  for (const slot of form.querySelectorAll('[data-error-for]')) slot.textContent = '';
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
}

/** The form field an API error is about: `field` ("target.type" → "target"), else by code. */
function errorField(err) {
  if (err.field) return err.field.split('.')[0];
  if (err.code === 'email_taken') return 'email';
  return '';
}

function fieldLabel(form, name) {
  const input = form.elements[name];
  const label = input?.labels?.[0] ?? input?.closest?.('fieldset')?.querySelector('legend');
  return label ? label.textContent.trim() : '';
}

/** Puts the error next to the field it names (or above the buttons) and focuses that field. */
function showFormError(form, err) {
  const field = errorField(err);
  const slot = form.querySelector(`[data-error-for="${field}"]`) ?? form.querySelector('[data-error-for=""]');
  const label = slot.dataset.errorFor ? fieldLabel(form, field) : '';
  slot.textContent = sentence(err.field && label ? `${label} ${err.message}` : err.message);
  const input = slot.dataset.errorFor ? form.elements[field] : null;
  if (input instanceof HTMLElement) {
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }
}

/** A failed call: an expired session signs out, anything else is shown on the form. */
function handleFailure(form, err) {
  if (err.status === 401 && state.session) {
    endSession('Your session has ended. Please sign in again.');
    return;
  }
  showFormError(form, err);
}

async function whileBusy(form, work) {
  const buttons = form.querySelectorAll('button');
  for (const button of buttons) button.disabled = true;
  form.setAttribute('aria-busy', 'true');
  try {
    await work();
  } finally {
    for (const button of buttons) button.disabled = false;
    form.removeAttribute('aria-busy');
  }
}

/* ------------------------------------------------------------------ signing in and out */

async function onAuthSubmit(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const action = event.submitter?.value === 'register' ? 'register' : 'login';
  const credentials = { email: form.elements.email.value.trim(), password: form.elements.password.value };
  clearErrors(form);
  await whileBusy(form, async () => {
    try {
      const answer = await api('POST', `/auth/${action}`, credentials);
      startSession(answer);
      form.reset();
    } catch (err) {
      showFormError(form, err);
    }
  });
}

function startSession(answer) {
  setSession({ token: answer.token, email: answer.user.email, expiresAt: answer.expires_at });
  showPageError('');
  showBrief();
}

function endSession(message = '') {
  stopFeed();
  setSession(null);
  setRun(null);
  showPageError(message);
  showView('auth');
  focusFirstField('auth');
}

/* ------------------------------------------------------------------ the brief */

function showBrief() {
  showView('brief');
  focusFirstField('brief');
}

function readBrief(form) {
  return {
    project: {
      name: form.elements.name.value.trim(),
      brief: form.elements.brief.value.trim(),
      template: form.elements.template.value,
    },
    format: form.elements.format.value || 'zip',
  };
}

async function onBriefSubmit(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const { project, format } = readBrief(form);
  clearErrors(form);
  await whileBusy(form, async () => {
    try {
      const created = await api('POST', '/projects', project);
      const execution = await api('POST', `/projects/${created.id}/executions`, {});
      setRun({ projectId: created.id, projectName: created.name, executionId: execution.id, format, exportId: null });
      form.reset();
      showRun(execution);
    } catch (err) {
      handleFailure(form, err);
    }
  });
}

/* ------------------------------------------------------------------ the run: steps */

function stepRow(stepId) {
  return byTestId('steps').querySelector(`[data-step="${CSS.escape(stepId)}"]`);
}

function createStepRow(step) {
  const row = document.createElement('li');
  row.className = 'step';
  row.dataset.testid = 'step';
  row.dataset.step = step.id;
  row.innerHTML = `
    <span class="step-name"></span>
    <span class="step-agent"></span>
    <span class="chip" data-testid="step-status"></span>
    <span class="step-tokens" data-testid="step-tokens"></span>
    <span class="step-error" data-testid="step-error"></span>`;
  row.querySelector('.step-name').textContent = step.id;
  row.querySelector('.step-agent').textContent = step.agent ?? '';
  byTestId('steps').append(row);
  return row;
}

function renderStep(stepId) {
  const step = state.steps.get(stepId);
  const row = stepRow(stepId) ?? createStepRow({ id: stepId });
  row.dataset.status = step.status;
  byTestId('step-status', row).textContent = STEP_LABELS[step.status] ?? step.status;
  byTestId('step-tokens', row).textContent =
    step.inputTokens || step.outputTokens
      ? `${formatCount(step.inputTokens)} in · ${formatCount(step.outputTokens)} out tokens`
      : '';
  byTestId('step-error', row).textContent = step.error ?? '';
}

function updateStep(stepId, changes) {
  const before = state.steps.get(stepId) ?? { status: 'pending', inputTokens: 0, outputTokens: 0 };
  const after = { ...before, ...changes };
  state.steps.set(stepId, after);
  renderStep(stepId);
  if (before.status !== after.status) announce(`Step ${stepId}: ${STEP_LABELS[after.status] ?? after.status}.`);
}

function renderSteps(execution) {
  byTestId('steps').replaceChildren();
  state.steps.clear();
  for (const step of execution.steps ?? []) {
    createStepRow(step);
    state.steps.set(step.id, {
      status: step.status,
      inputTokens: step.input_tokens,
      outputTokens: step.output_tokens,
      error: step.error,
    });
    renderStep(step.id);
  }
}

function totalTokens() {
  let input = 0;
  let output = 0;
  for (const step of state.steps.values()) {
    input += step.inputTokens || 0;
    output += step.outputTokens || 0;
  }
  return { input, output };
}

function setExecutionStatus(status, error) {
  const line = byTestId('execution-status');
  line.dataset.status = status;
  const { input, output } = totalTokens();
  const tokens = `${formatCount(input)} tokens in, ${formatCount(output)} out`;
  const texts = {
    running: 'Running…',
    succeeded: `Workflow succeeded · ${tokens}`,
    failed: `Workflow failed · ${tokens}`,
    cancelled: 'Workflow cancelled',
  };
  line.textContent = texts[status] ?? status;
  if (error) showRunError(error);
}

function showRunError(message) {
  byTestId('run-error').textContent = sentence(message);
}

/* ------------------------------------------------------------------ the run: files and export */

function setMeter(progressId, textId, { value, max, text, stage }) {
  const progress = byTestId(progressId);
  progress.max = Math.max(max, 1);
  progress.value = Math.min(value, progress.max);
  const label = byTestId(textId);
  label.textContent = text;
  label.dataset.state = stage;
}

function showFilesWritten(written, total) {
  setMeter('files-progress', 'files-text', {
    value: written,
    max: total,
    text: `${formatCount(written)} of ${formatCount(total)} files written`,
    stage: written >= total ? 'done' : 'running',
  });
}

function showGenerationReady(files, bytes) {
  setMeter('files-progress', 'files-text', {
    value: files,
    max: files,
    text: `${formatCount(files)} files written (${formatBytes(bytes)})`,
    stage: 'done',
  });
  announce(`All ${files} files written.`);
}

function showExportPhase(phase, done = 0, total = 0) {
  const label = PHASE_LABELS[phase] ?? phase;
  const count = total ? ` (${formatCount(done)}/${formatCount(total)})` : '';
  setMeter('export-progress', 'export-phase', {
    value: total ? done : 0,
    max: total || 1,
    text: `${label}${phase === 'done' ? '' : '…'}${count}`,
    stage: 'running',
  });
  byTestId('export-phase').dataset.phase = phase;
}

function showExportDone(result, target) {
  setMeter('export-progress', 'export-phase', { value: 1, max: 1, text: 'Export ready', stage: 'done' });
  byTestId('export-phase').dataset.phase = 'done';
  const download = byTestId('download-link');
  const repository = byTestId('repository-link');
  if (result.download_url) {
    download.href = result.download_url;
    download.setAttribute('download', archiveName(target));
    download.textContent = `Download ${target?.type ?? 'archive'}`;
  }
  const repoUrl = result.pull_request_url ?? result.repository_url ?? result.url;
  if (repoUrl) repository.href = repoUrl;
  show(download, Boolean(result.download_url));
  show(repository, Boolean(repoUrl));
  show(byTestId('export-result'), Boolean(result.download_url || repoUrl));
  show(byTestId('change-form'), true);
  announce('Export ready.');
}

function showExportFailed(error) {
  setMeter('export-progress', 'export-phase', { value: 0, max: 1, text: 'Export failed', stage: 'failed' });
  byTestId('export-phase').dataset.phase = 'failed';
  showRunError(error);
  announce('Export failed.');
}

function archiveName(target) {
  const base = (state.run?.projectName ?? 'project').toLowerCase().replace(/[^a-z0-9]+/g, '-') || 'project';
  return `${base}.${target?.type === 'tar.gz' ? 'tar.gz' : 'zip'}`;
}

function resetRunView(execution) {
  byTestId('run-title').textContent = state.run.projectName;
  renderSteps(execution);
  setExecutionStatus(execution.status, execution.error);
  setMeter('files-progress', 'files-text', { value: 0, max: 1, text: 'Waiting for the agents…', stage: 'waiting' });
  setMeter('export-progress', 'export-phase', { value: 0, max: 1, text: 'Waiting for the files…', stage: 'waiting' });
  byTestId('export-phase').dataset.phase = 'waiting';
  show(byTestId('export-result'), false);
  show(byTestId('download-link'), false);
  show(byTestId('repository-link'), false);
  show(byTestId('change-form'), false);
  show(byTestId('diff'), false);
  showRunError('');
}

/* ------------------------------------------------------------------ the run: live events */

function onExecutionEvent(event) {
  switch (event.kind) {
    case 'step_started':
      updateStep(event.step, { status: 'running', error: null });
      break;
    case 'step_progress':
      updateStep(event.step, { outputTokens: event.output_tokens });
      break;
    case 'step_completed':
      updateStep(event.step, {
        status: 'succeeded',
        inputTokens: event.input_tokens,
        outputTokens: event.output_tokens,
      });
      break;
    case 'step_failed':
      updateStep(event.step, { status: 'failed', error: event.error });
      break;
    case 'execution_finished':
      onExecutionFinished(event);
      break;
    default:
      break;
  }
}

function onExecutionFinished(event) {
  setExecutionStatus(event.status, event.error);
  announce(`Workflow ${event.status}.`);
  if (event.status === 'succeeded') watchGeneration();
}

function onGenerationEvent(event) {
  switch (event.kind) {
    case 'files_written':
      showFilesWritten(event.written, event.total);
      break;
    case 'generation_ready':
      showGenerationReady(event.files, event.bytes);
      if (state.run.change) showDiff(state.run.executionId);
      startExport();
      break;
    case 'generation_failed':
      setMeter('files-progress', 'files-text', { value: 0, max: 1, text: 'Generation failed', stage: 'failed' });
      showRunError(event.error);
      break;
    default:
      break;
  }
}

function onExportEvent(event) {
  switch (event.kind) {
    case 'export_phase':
      showExportPhase(event.phase, event.done, event.total);
      break;
    case 'export_done':
      loadExportResult(event);
      break;
    case 'export_failed':
      showExportFailed(event.error);
      break;
    default:
      break;
  }
}

/** Exports the ready generation once (a replayed `generation_ready` finds the export started). */
async function startExport() {
  if (state.run.exportId) {
    watchExport(state.run.exportId);
    return;
  }
  if (state.exportStarting) return;
  state.exportStarting = true;
  try {
    const generationId = state.run.executionId;
    const started = await api('POST', `/generations/${generationId}/exports`, { target: { type: state.run.format } });
    updateRun({ exportId: started.id });
    showExportPhase(started.phase);
    watchExport(started.id);
  } catch (err) {
    if (err.status === 401) endSession('Your session has ended. Please sign in again.');
    else showExportFailed(err.message);
  } finally {
    state.exportStarting = false;
  }
}

/** `export_done` carries no archive link (links expire): the export itself has a fresh one. */
async function loadExportResult(event) {
  try {
    const current = await api('GET', `/exports/${event.export_id ?? state.run.exportId}`);
    showExportDone({ ...current.result, url: event.url }, current.target);
  } catch (err) {
    showExportFailed(err.message);
  }
}

/* ------------------------------------------------------------------ change requests */

/** Runs the built-in `change` workflow on the project's latest generation, in this same view. */
async function onChangeSubmit(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const request = form.elements.request.value.trim();
  clearErrors(form);
  await whileBusy(form, async () => {
    try {
      const execution = await api('POST', `/projects/${state.run.projectId}/changes`, { request });
      setRun({ ...state.run, executionId: execution.id, exportId: null, change: request });
      form.reset();
      showRun(execution);
    } catch (err) {
      handleFailure(form, err);
    }
  });
}

function diffLine(file) {
  const item = document.createElement('li');
  const name = file.old_path ? `${file.old_path} → ${file.path}` : file.path;
  const details = document.createElement('details');
  const summary = document.createElement('summary');
  summary.textContent = `${file.status} ${name} (+${file.additions} −${file.deletions})`;
  details.append(summary);
  if (file.patch) {
    const patch = document.createElement('pre');
    patch.textContent = file.patch;
    details.append(patch);
  }
  item.append(details);
  return item;
}

/** The change's diff against the generation it changed: the stat and the first page of files. */
async function showDiff(generationId) {
  try {
    const diff = await api('GET', `/generations/${generationId}/diff?limit=50`);
    const { stat } = diff;
    const kinds = ['added', 'modified', 'deleted', 'renamed'].filter((kind) => stat[kind] > 0);
    byTestId('diff-stat').textContent =
      `${formatCount(stat.files_changed)} files changed: ${kinds.map((kind) => `${stat[kind]} ${kind}`).join(', ')}`;
    byTestId('diff-files').replaceChildren(...diff.files.map(diffLine));
    show(byTestId('diff'), true);
  } catch (err) {
    showRunError(err.message);
  }
}

/* ------------------------------------------------------------------ the WebSocket feed */

/**
 * One WebSocket for every topic. Per topic it applies events once each and in seq order,
 * and after a reconnect subscribes again with `after_seq` = the highest seq applied, so the
 * server's replay fills whatever was missed.
 */
class LiveFeed {
  constructor(url, token, onStateChange) {
    this.url = url;
    this.token = token;
    this.onStateChange = onStateChange;
    this.topics = new Map();
    this.socket = null;
    this.failures = 0;
    this.closed = false;
    this.timers = new Set();
    this.connect();
  }

  subscribe(topic, onEvent) {
    if (this.topics.has(topic)) return;
    this.topics.set(topic, { onEvent, applied: 0, pending: new Map(), confirmed: false, retries: 0 });
    this.sendSubscribe(topic);
  }

  close() {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    clearInterval(this.pinger);
    this.socket?.close(1000, 'done');
  }

  later(ms, work) {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      work();
    }, ms);
    this.timers.add(timer);
  }

  connect() {
    this.onStateChange(this.failures ? 'reconnecting' : 'connecting', this.failures);
    const socket = new WebSocket(this.url, [PROTOCOL, this.token]);
    socket.addEventListener('open', () => this.onOpen());
    socket.addEventListener('message', (message) => this.onMessage(message.data));
    socket.addEventListener('close', () => this.onClose(socket));
    this.socket = socket;
  }

  onOpen() {
    this.failures = 0;
    this.onStateChange('live', 0);
    clearInterval(this.pinger);
    this.pinger = setInterval(() => this.send({ action: 'ping' }), PING_EVERY_MS);
    for (const [topic, entry] of this.topics) {
      entry.confirmed = false;
      this.sendSubscribe(topic);
    }
  }

  onClose(socket) {
    if (socket !== this.socket) return;
    clearInterval(this.pinger);
    if (this.closed) return;
    this.failures += 1;
    const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** (this.failures - 1));
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.onStateChange('reconnecting', this.failures);
    this.later(delay, () => this.connect());
  }

  send(message) {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  sendSubscribe(topic) {
    const entry = this.topics.get(topic);
    this.send({ action: 'subscribe', topic, after_seq: entry.applied });
  }

  onMessage(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (frame.type === 'events') this.receive(frame.topic, frame.events ?? []);
    else if (frame.type === 'subscribed') this.confirm(frame.topic);
    else if (frame.type === 'error') this.refused(frame);
  }

  /** Drops seqs already applied or held, holds early ones, applies the contiguous run. */
  receive(topic, events) {
    const entry = this.topics.get(topic);
    if (!entry) return;
    for (const event of events) {
      if (event.seq > entry.applied && !entry.pending.has(event.seq)) entry.pending.set(event.seq, event);
    }
    while (entry.pending.has(entry.applied + 1)) this.apply(entry, entry.applied + 1);
  }

  /** The replay is complete: whatever is still held is all there is up to now. */
  confirm(topic) {
    const entry = this.topics.get(topic);
    if (!entry) return;
    entry.confirmed = true;
    entry.retries = 0;
    const held = [...entry.pending.keys()].sort((a, b) => a - b);
    for (const seq of held) this.apply(entry, seq);
  }

  apply(entry, seq) {
    const event = entry.pending.get(seq);
    entry.pending.delete(seq);
    entry.applied = Math.max(entry.applied, seq);
    try {
      entry.onEvent(event);
    } catch (err) {
      console.error('could not show event', event, err);
    }
  }

  /**
   * A refused subscription (e.g. the generation does not exist yet while its job is queued):
   * try the unconfirmed topics again a little later.
   */
  refused(frame) {
    const topics = frame.topic ? [frame.topic] : [...this.topics.keys()];
    for (const topic of topics) {
      const entry = this.topics.get(topic);
      if (!entry || entry.confirmed || entry.retries >= RESUBSCRIBE_ATTEMPTS) continue;
      entry.retries += 1;
      this.later(RESUBSCRIBE_AFTER_MS, () => this.sendSubscribe(topic));
    }
  }
}

function showConnection(stage, failures) {
  const badge = byTestId('connection');
  badge.dataset.state = stage;
  const texts = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…' };
  badge.textContent = texts[stage] ?? stage;
  if (stage === 'reconnecting' && failures === 3) checkSession();
}

/** Repeated refused handshakes can mean the token expired: ask the API. */
async function checkSession() {
  try {
    await api('GET', '/me');
  } catch (err) {
    if (err.status === 401) endSession('Your session has ended. Please sign in again.');
  }
}

function startFeed() {
  stopFeed();
  state.feed = new LiveFeed(state.config.wsUrl, state.session.token, showConnection);
}

function stopFeed() {
  state.feed?.close();
  state.feed = null;
}

function watchExecution() {
  state.feed.subscribe(`execution:${state.run.executionId}`, onExecutionEvent);
}

function watchGeneration() {
  state.feed.subscribe(`generation:${state.run.executionId}`, onGenerationEvent);
}

function watchExport(exportId) {
  state.feed.subscribe(`export:${exportId}`, onExportEvent);
}

/* ------------------------------------------------------------------ starting and resuming a run */

function showRun(execution) {
  state.exportStarting = false;
  showView('run');
  resetRunView(execution);
  byTestId('run-title').focus?.();
  startFeed();
  watchExecution();
  if (execution.status === 'succeeded') watchGeneration();
  if (state.run.exportId) watchExport(state.run.exportId);
}

/** After a reload: the stored run is shown again; the replay brings its events back. */
async function resumeRun() {
  try {
    const execution = await api('GET', `/executions/${state.run.executionId}`);
    showRun(execution);
  } catch (err) {
    setRun(null);
    if (err.status === 401) endSession('Your session has ended. Please sign in again.');
    else showBrief();
  }
}

function onNewProject() {
  stopFeed();
  setRun(null);
  showBrief();
}

/* ------------------------------------------------------------------ start */

function bindEvents() {
  byTestId('auth-form').addEventListener('submit', onAuthSubmit);
  byTestId('brief-form').addEventListener('submit', onBriefSubmit);
  byTestId('logout').addEventListener('click', () => endSession());
  byTestId('new-project').addEventListener('click', onNewProject);
  byTestId('change-form').addEventListener('submit', onChangeSubmit);
}

async function main() {
  bindEvents();
  state.config = await loadConfig();
  state.session = loadSession();
  state.run = state.session ? loadStored(RUN_KEY) : null;
  if (!state.session) {
    setSession(null);
    showView('auth');
    focusFirstField('auth');
  } else if (state.run?.executionId) {
    await resumeRun();
  } else {
    showBrief();
  }
  document.body.dataset.ready = 'true';
}

main();
