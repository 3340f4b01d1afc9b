// Formatting of what the API counts: cost, duration, tokens, bytes, times and statuses.
// Pure: no DOM, imports in plain Node (tests/browser/unit/format.test.mjs).

/** 1234567 → "1,234,567". */
export function formatCount(n) {
  return Math.round(Number(n) || 0).toLocaleString('en-US');
}

/** Tokens, shortened past ten thousand: 950 → "950", 12_345 → "12.3k", 2_500_000 → "2.5M". */
export function formatTokens(n) {
  const value = Number(n) || 0;
  if (value < 10_000) return formatCount(value);
  if (value < 1_000_000) return `${trim(value / 1000)}k`;
  return `${trim(value / 1_000_000)}M`;
}

function trim(x) {
  return (Math.round(x * 10) / 10).toFixed(1).replace(/\.0$/, '');
}

/** USD: "$0.00" for nothing, four decimals below a cent, two above. */
export function formatCost(usd) {
  const value = Number(usd) || 0;
  if (value === 0) return '$0.00';
  if (value < 0.01) return `$${value.toFixed(4)}`;
  return `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** Milliseconds: "250 ms", "4.2 s", "3 min 05 s", "2 h 07 min". */
export function formatDuration(ms) {
  const value = Math.max(0, Number(ms) || 0);
  if (value < 1000) return `${Math.round(value)} ms`;
  if (value < 60_000) return `${trim(value / 1000)} s`;
  const seconds = Math.floor(value / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
  const minutes = Math.floor(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** The time between two ISO instants (`end` missing: until `now`). */
export function durationBetween(start, end, now = Date.now()) {
  if (!start) return 0;
  const from = Date.parse(start);
  const to = end ? Date.parse(end) : now;
  return Math.max(0, to - from);
}

export function formatBytes(bytes) {
  const value = Number(bytes) || 0;
  if (value < 1024) return `${value} B`;
  if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${(value / 1024 / 1024).toFixed(1)} MiB`;
}

/** "3 min ago", "yesterday"-ish relative times for lists; absolute beyond a week. */
export function formatWhen(iso, now = Date.now()) {
  if (!iso) return '—';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '—';
  const seconds = Math.round((now - at) / 1000);
  if (seconds < -45) return `in ${formatWhen(new Date(now).toISOString(), at).replace(/ ago$/, '')}`;
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  if (seconds < 7 * 86_400) return `${Math.round(seconds / 86_400)} d ago`;
  return new Date(at).toISOString().slice(0, 10);
}

const STATUS_LABELS = {
  pending: 'Waiting',
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
  budget_exceeded: 'Over budget',
  awaiting_approval: 'Needs approval',
  ready: 'Ready',
  generating: 'Generating',
  none: 'Not run yet',
};

export function statusLabel(status) {
  return STATUS_LABELS[status] ?? String(status ?? '').replace(/_/g, ' ');
}

/** "wrong email or password" → "Wrong email or password." */
export function sentence(text) {
  const trimmed = String(text ?? '').trim();
  if (!trimmed) return '';
  const capital = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?…]$/.test(capital) ? capital : `${capital}.`;
}

/** A file name for a project's archive: "Lending library" + tar.gz → "lending-library.tar.gz". */
export function archiveName(projectName, type) {
  const base = String(projectName ?? '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'project';
  return `${base}.${type === 'tar.gz' ? 'tar.gz' : 'zip'}`;
}

/** An export target in words: "zip", "GitHub ada/library (main)", "GitLab group/name". */
export function describeTarget(target) {
  if (!target) return '';
  if (target.type === 'github') return `GitHub ${target.repository}${target.branch ? ` (${target.branch})` : ''}`;
  if (target.type === 'gitlab') return `GitLab ${target.project}${target.branch ? ` (${target.branch})` : ''}`;
  return target.type;
}

/** `url` if it may be a link (http or https), else null: a forge's answer is not trusted to be. */
export function webLink(url) {
  if (typeof url !== 'string') return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
  } catch {
    return null;
  }
}
