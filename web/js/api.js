// The HTTP API: one fetch wrapper that sends the session's token and turns the API's
// `{"error": {code, message, field}}` into an ApiError; and the session kept in sessionStorage.

const SESSION_KEY = 'forgeflow.session';

export class ApiError extends Error {
  constructor(status, { code = 'error', message = 'Something went wrong.', field = null } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

export const session = {
  config: { apiUrl: '', wsUrl: '' },
  current: null, // {token, email, expiresAt}
  onExpired: () => {},

  load() {
    try {
      const stored = JSON.parse(sessionStorage.getItem(SESSION_KEY));
      if (stored?.token && !(stored.expiresAt && Date.parse(stored.expiresAt) <= Date.now())) this.current = stored;
    } catch {
      this.current = null;
    }
    return this.current;
  },

  set(value) {
    this.current = value;
    if (value) sessionStorage.setItem(SESSION_KEY, JSON.stringify(value));
    else sessionStorage.removeItem(SESSION_KEY);
  },
};

function defaultWsUrl(apiUrl) {
  const url = new URL(apiUrl || window.location.origin, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/ws`;
  url.search = '';
  return url.toString();
}

/** Reads config.json (CDK writes it); without one the API and the socket are this origin. */
export async function loadConfig() {
  let config = {};
  try {
    const response = await fetch(new URL('config.json', document.baseURI), { cache: 'no-store' });
    if (response.ok) config = await response.json();
  } catch {
    // same origin
  }
  const apiUrl = (config.apiUrl || '').replace(/\/+$/, '');
  session.config = { apiUrl, wsUrl: config.wsUrl || defaultWsUrl(apiUrl) };
  return session.config;
}

/** One API call: the parsed JSON body (null for none), or an ApiError. */
export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (session.current) headers.authorization = `Bearer ${session.current.token}`;
  const hadSession = Boolean(session.current);
  let response;
  try {
    response = await fetch(session.config.apiUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { code: 'network', message: 'Could not reach Forgeflow. Check your connection and try again.' });
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data?.error ?? { message: `The server answered ${response.status}.` });
    if (response.status === 401 && hadSession) {
      // Several calls can fail at once: the first one signs out, all of them say so.
      error.sessionEnded = true;
      if (session.current) session.onExpired(error);
    }
    throw error;
  }
  return data;
}

/** A file of a generation as text (the API answers it raw, or redirects to S3 when large). */
export async function fetchText(path) {
  const headers = session.current ? { authorization: `Bearer ${session.current.token}` } : {};
  const response = await fetch(session.config.apiUrl + path, { headers });
  if (!response.ok) throw new ApiError(response.status, { message: `The server answered ${response.status}.` });
  return response.text();
}

/** Every page of a list endpoint, up to `max` items. */
export async function listAll(path, max = 200) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api('GET', `${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...(page?.items ?? []));
    cursor = page?.next_cursor;
  } while (cursor && items.length < max);
  return items;
}
