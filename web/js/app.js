// Forgeflow's page: a hash router that mounts one view at a time into <main>, one session, and
// one WebSocket (LiveFeed) that every view watches its topics on. Plain ES modules, no build.

import { api, loadConfig, session } from './api.js';
import { byTestId, replace } from './dom.js';
import { LiveFeed } from './live.js';
import { parseRoute, routeHref } from './routes.js';
import * as agents from './views/agents.js';
import * as auth from './views/auth.js';
import * as newProject from './views/new-project.js';
import * as project from './views/project.js';
import * as projects from './views/projects.js';
import * as run from './views/run.js';
import * as settings from './views/settings.js';
import * as usage from './views/usage.js';

const VIEWS = { login: auth, projects, new: newProject, project, run, settings, usage, agents };

const app = { feed: null, dispose: [], mountedKey: null, notice: '' };

const CONNECTION_TEXT = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline' };

function showConnection(state, failures = 0) {
  const badge = byTestId('connection');
  badge.dataset.state = state;
  badge.textContent = CONNECTION_TEXT[state] ?? state;
  badge.title = state === 'live' ? 'Updates arrive as they happen' : 'Updates resume when the connection is back';
  if (state === 'reconnecting' && failures === 3) api('GET', '/me').catch(() => {});
}

function startFeed() {
  app.feed?.close();
  app.feed = new LiveFeed(session.config.wsUrl, session.current.token, showConnection);
}

export function navigate(name, params) {
  const href = routeHref(name, params);
  if (window.location.hash === href) {
    app.notice = '';
    render();
  } else window.location.hash = href;
}

export function showPageError(message) {
  const notice = byTestId('page-error');
  notice.textContent = message ?? '';
  notice.hidden = !message;
}

function signedIn(answer) {
  session.set({ token: answer.token, email: answer.user.email, expiresAt: answer.expires_at });
  startFeed();
  app.notice = '';
  showPageError('');
  navigate('projects');
}

function signOut(message = '') {
  app.feed?.close();
  app.feed = null;
  session.set(null);
  showConnection('offline');
  // Shown once the sign-in screen is up (a change of screen clears old errors).
  app.notice = message;
  showPageError(message);
  navigate('login');
}

function unmount() {
  for (const dispose of app.dispose.splice(0)) {
    try {
      dispose();
    } catch (err) {
      console.warn(err);
    }
  }
}

/** What a view gets: its route, the feed, and a place to register what to undo when it leaves. */
function context(route) {
  return {
    route,
    params: route.params,
    navigate,
    reload() {
      app.mountedKey = null;
      render();
    },
    showPageError,
    signedIn,
    onDispose: (fn) => app.dispose.push(fn),
    watch(topic, handler) {
      const stop = app.feed.watch(topic, handler);
      app.dispose.push(stop);
      return stop;
    },
  };
}

async function render() {
  let route = parseRoute(window.location.hash);
  if (!session.current && route.name !== 'login') route = { name: 'login', params: {} };
  if (session.current && route.name === 'login') route = { name: 'projects', params: {} };
  const signed = Boolean(session.current);
  byTestId('session').hidden = !signed;
  byTestId('nav').hidden = !signed;
  byTestId('session-user').textContent = session.current?.email ?? '';
  for (const link of document.querySelectorAll('[data-nav]')) {
    const here = link.dataset.nav === route.name || (link.dataset.nav === 'projects' && ['project', 'run', 'new'].includes(route.name));
    if (here) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const view = VIEWS[route.name];
  // A change of query only (a file picked in the tree) stays in the mounted view when it can.
  const key = `${route.name}:${route.params.id ?? ''}:${route.params.tab ?? ''}:${route.params.run ?? ''}`;
  if (key === app.mountedKey && view?.update) {
    view.update(route.params);
    return;
  }
  unmount();
  app.mountedKey = key;
  // A fresh container per screen: a slow screen left behind fills a detached element, never the next one.
  const root = document.createElement('div');
  replace(byTestId('view'), root);
  document.body.dataset.route = route.name;
  if (!view) {
    root.append(Object.assign(document.createElement('h1'), { textContent: 'Nothing here' }));
    return;
  }
  document.body.dataset.ready = 'false';
  try {
    await view.mount(root, context(route));
  } catch (err) {
    if (!err?.sessionEnded) showPageError(err?.message ?? String(err));
  }
  // A new screen: screen readers start at its heading, unless the view focused a field.
  if (!document.activeElement || document.activeElement === document.body) {
    const heading = root.querySelector('h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  }
  document.body.dataset.ready = 'true';
}

async function main() {
  await loadConfig();
  session.onExpired = () => signOut('Your session has ended. Please sign in again.');
  session.load();
  byTestId('logout').addEventListener('click', () => signOut());
  window.addEventListener('hashchange', () => {
    showPageError(app.notice);
    app.notice = '';
    render();
  });
  if (session.current) startFeed();
  else showConnection('offline');
  await render();
}

main();
