// The page's addresses: hash routes, so a static host (S3 + CloudFront) serves every screen from
// index.html. Pure (tests/browser/unit/routes.test.mjs).

export const PROJECT_TABS = ['runs', 'plan', 'files', 'changes', 'exports', 'automation', 'settings'];

/** "#/projects/p1/files?gen=g&path=src%2Fmain.rs" → {name: 'project', params: {...}}. */
export function parseRoute(hash) {
  const raw = String(hash ?? '').replace(/^#/, '');
  const [pathPart, queryPart = ''] = raw.split('?');
  const parts = pathPart.split('/').filter(Boolean).map(decodeURIComponent);
  const query = Object.fromEntries(new URLSearchParams(queryPart));
  if (parts.length === 0 || parts[0] === 'projects' && parts.length === 1) return { name: 'projects', params: query };
  if (parts[0] === 'login') return { name: 'login', params: {} };
  if (parts[0] === 'settings' && parts.length === 1) return { name: 'settings', params: {} };
  if (parts[0] === 'agents' && parts.length === 1) return { name: 'agents', params: {} };
  if (parts[0] === 'usage' && parts.length === 1) return { name: 'usage', params: query };
  if (parts[0] === 'new' && parts.length === 1) return { name: 'new', params: {} };
  if (parts[0] === 'projects' && parts.length >= 2) {
    const id = parts[1];
    if (parts[2] === 'runs' && parts[3]) return { name: 'run', params: { ...query, id, run: parts[3] } };
    const tab = PROJECT_TABS.includes(parts[2]) ? parts[2] : 'runs';
    if (parts.length > 3 || (parts[2] && !PROJECT_TABS.includes(parts[2]))) return { name: 'not-found', params: {} };
    return { name: 'project', params: { ...query, id, tab } };
  }
  return { name: 'not-found', params: {} };
}

/** The hash for a route; the inverse of parseRoute. */
export function routeHref(name, params = {}) {
  const { id, run, tab, ...query } = params;
  const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString();
  const suffix = qs ? `?${qs}` : '';
  const e = encodeURIComponent;
  switch (name) {
    case 'login':
      return '#/login';
    case 'settings':
      return '#/settings';
    case 'agents':
      return '#/agents';
    case 'usage':
      return `#/usage${suffix}`;
    case 'new':
      return '#/new';
    case 'project':
      return `#/projects/${e(id)}${tab && tab !== 'runs' ? `/${tab}` : ''}${suffix}`;
    case 'run':
      return `#/projects/${e(id)}/runs/${e(run)}${suffix}`;
    default:
      return `#/projects${suffix}`;
  }
}
