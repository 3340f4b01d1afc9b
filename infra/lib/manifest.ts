// Loads and validates the manifests the CDK app is built from (`manifest/routes.json`,
// `manifest/resources.json`, `manifest/workers.json` and `manifest/websocket.json` at the repository
// root). The same files drive the local stack, so this module only reads them: it never fills in defaults
// that the local stack would not also see. `checkManifests` validates what spans several files (the stack
// calls it before building).
// Tests import `loadManifests` to compare the synthesized template against the manifests.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export type HttpMethodName = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

/** One HTTP route: one Lambda binary (`function`) behind one `METHOD /path`. */
export interface RouteSpec {
  readonly method: HttpMethodName;
  readonly path: string;
  readonly function: string;
  readonly auth: 'none' | 'jwt';
  readonly memory_mb: number;
  readonly timeout_s: number;
  /**
   * See `permissions.ts` for the vocabulary (e.g. `table:read`, `bucket:write`, `queue:steps:send`,
   * `key:credentials:encrypt`, `secret:jwt`).
   */
  readonly permissions: readonly string[];
}

export interface GsiSpec {
  readonly name: string;
  readonly partition_key: string;
  readonly sort_key?: string;
}

export interface TableSpec {
  readonly id: string;
  readonly env: string;
  readonly partition_key: string;
  readonly sort_key?: string;
  readonly ttl_attribute?: string;
  readonly global_secondary_indexes: readonly GsiSpec[];
}

export interface BucketSpec {
  readonly id: string;
  readonly env: string;
  readonly temporary_prefix: string;
  readonly temporary_expiry_days: number;
}

export interface QueueSpec {
  readonly id: string;
  readonly env: string;
  /** Name of the worker function that consumes the queue (workers.json may not list it yet). */
  readonly consumer: string;
  readonly consumer_timeout_s: number;
  readonly visibility_timeout_s: number;
  readonly max_receive_count: number;
  readonly batch_size: number;
  readonly dlq_retention_days: number;
}

/**
 * A secret: generated at deploy (`length`), or provided by the operator after deploying (`provided`,
 * the variable the local stack fills it from; deployed holding `{"key": ""}`, i.e. none).
 */
export type SecretSpec = {
  readonly id: string;
  readonly env: string;
  readonly description: string;
} & ({ readonly length: number; readonly provided?: undefined } | { readonly provided: string; readonly length?: undefined });

/** A customer managed KMS key (e.g. `credentials`, which encrypts users' forge tokens). */
export interface KeySpec {
  readonly id: string;
  readonly env: string;
  readonly description: string;
}

export interface ResourcesSpec {
  readonly table: TableSpec;
  readonly bucket: BucketSpec;
  readonly queues: readonly QueueSpec[];
  readonly secrets: readonly SecretSpec[];
  readonly keys: readonly KeySpec[];
}

/**
 * One non-HTTP Lambda from workers.json. Exactly one trigger: `queue` (an SQS consumer of that queue in
 * resources.json; its timeout is the queue's `consumer_timeout_s` and its batch size the queue's
 * `batch_size`) or `schedule` (an EventBridge `rate(...)`/`cron(...)` expression; then `timeout_s`
 * is required, since there is no queue to take it from).
 */
export interface WorkerSpec {
  readonly function: string;
  readonly queue?: string;
  readonly schedule?: string;
  readonly memory_mb: number;
  /** SQS consumers only: the event source's maximum concurrency (2 to 1000, the AWS limits). */
  readonly max_concurrency?: number;
  /** Scheduled workers only (queue workers take the queue's `consumer_timeout_s`). */
  readonly timeout_s?: number;
  /** The routes vocabulary plus `bucket:delete` and `queue:<id>:read-attributes` (see `permissions.ts`). */
  readonly permissions: readonly string[];
}

/** One WebSocket route (`$connect`, `$disconnect`, `$default`, or a custom route key) and its Lambda. */
export interface WebSocketRouteSpec {
  readonly route: string;
  readonly function: string;
  readonly memory_mb: number;
  readonly timeout_s: number;
  /** The routes vocabulary plus `connections:manage` (see `permissions.ts`). */
  readonly permissions: readonly string[];
}

/**
 * The WebSocket API from websocket.json. `path` is where the local gateway serves it (`/ws`); in AWS the
 * API has its own host and `stage` is the URL's path (`wss://…/live`). The TTLs and the frame limit are
 * read by the functions (compiled in); CDK validates them and passes them on as they are.
 */
export interface WebSocketSpec {
  readonly path: string;
  readonly stage: string;
  readonly connection_ttl_s: number;
  readonly event_ttl_s: number;
  readonly max_frame_bytes: number;
  readonly routes: readonly WebSocketRouteSpec[];
}

export interface Manifests {
  readonly routes: readonly RouteSpec[];
  readonly resources: ResourcesSpec;
  readonly workers: readonly WorkerSpec[];
  readonly websocket: WebSocketSpec;
}

/** The repository root: `infra/..` (this file lives in `infra/lib/`). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** `FORGEFLOW_MANIFEST_DIR` overrides where the manifests are read from (default `<repo>/manifest`). */
export function manifestDir(): string {
  const override = process.env.FORGEFLOW_MANIFEST_DIR;
  return override ? path.resolve(REPO_ROOT, override) : path.join(REPO_ROOT, 'manifest');
}

const METHODS: readonly string[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
const FUNCTION_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;
/** A KMS key id becomes part of its alias (`alias/<stack>-<id>`) and of the `key:<id>:…` permissions. */
const KEY_ID = /^[a-z][a-z0-9-]{0,62}$/;

function readJson(file: string): unknown {
  if (!existsSync(file)) {
    throw new Error(`manifest not found: ${file}`);
  }
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`manifest ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

function fail(where: string, message: string): never {
  throw new Error(`${where}: ${message}`);
}

function requireString(obj: Record<string, unknown>, key: string, where: string): string {
  const value = obj[key];
  if (typeof value !== 'string' || value.length === 0) fail(where, `"${key}" must be a non-empty string`);
  return value;
}

function requireInt(obj: Record<string, unknown>, key: string, where: string, min: number, max: number): number {
  const value = obj[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(where, `"${key}" must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return value;
}

function asObject(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, 'must be an object');
  return value as Record<string, unknown>;
}

function asArray(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) fail(where, 'must be an array');
  return value;
}

/** Validates the parsed routes manifest. Unknown keys (future worker/websocket entries) are ignored. */
export function parseRoutes(raw: unknown, where = 'routes.json'): RouteSpec[] {
  const routes = asArray(asObject(raw, where).routes, `${where} routes`).map((item, i) => {
    const at = `${where} routes[${i}]`;
    const r = asObject(item, at);
    const method = requireString(r, 'method', at);
    if (!METHODS.includes(method)) fail(at, `unknown method ${method}`);
    const routePath = requireString(r, 'path', at);
    if (!routePath.startsWith('/')) fail(at, `path must start with "/": ${routePath}`);
    const fn = requireString(r, 'function', at);
    if (!FUNCTION_NAME.test(fn)) fail(at, `function name must match ${FUNCTION_NAME}: ${fn}`);
    const auth = requireString(r, 'auth', at);
    if (auth !== 'none' && auth !== 'jwt') fail(at, `auth must be "none" or "jwt", got ${auth}`);
    const permissions = asArray(r.permissions ?? [], `${at} permissions`).map((p) => {
      if (typeof p !== 'string') fail(at, 'permissions must be strings');
      return p;
    });
    return {
      method: method as HttpMethodName,
      path: routePath,
      function: fn,
      auth,
      // API Gateway HTTP APIs stop waiting after 30 s: a longer Lambda timeout would only hide bugs.
      memory_mb: requireInt(r, 'memory_mb', at, 128, 10240),
      timeout_s: requireInt(r, 'timeout_s', at, 1, 30),
      permissions,
    } satisfies RouteSpec;
  });
  const keys = new Set<string>();
  for (const r of routes) {
    const key = `${r.method} ${r.path}`;
    if (keys.has(key)) fail(where, `duplicate route ${key}`);
    keys.add(key);
  }
  return routes;
}

/** Validates the parsed resources manifest. */
export function parseResources(raw: unknown, where = 'resources.json'): ResourcesSpec {
  const root = asObject(raw, where);
  const t = asObject(root.table, `${where} table`);
  const table: TableSpec = {
    id: requireString(t, 'id', `${where} table`),
    env: requireString(t, 'env', `${where} table`),
    partition_key: requireString(t, 'partition_key', `${where} table`),
    sort_key: typeof t.sort_key === 'string' ? t.sort_key : undefined,
    ttl_attribute: typeof t.ttl_attribute === 'string' ? t.ttl_attribute : undefined,
    global_secondary_indexes: asArray(t.global_secondary_indexes ?? [], `${where} table GSIs`).map((g, i) => {
      const at = `${where} table.global_secondary_indexes[${i}]`;
      const o = asObject(g, at);
      return {
        name: requireString(o, 'name', at),
        partition_key: requireString(o, 'partition_key', at),
        sort_key: typeof o.sort_key === 'string' ? o.sort_key : undefined,
      };
    }),
  };
  const b = asObject(root.bucket, `${where} bucket`);
  const bucket: BucketSpec = {
    id: requireString(b, 'id', `${where} bucket`),
    env: requireString(b, 'env', `${where} bucket`),
    temporary_prefix: requireString(b, 'temporary_prefix', `${where} bucket`),
    temporary_expiry_days: requireInt(b, 'temporary_expiry_days', `${where} bucket`, 1, 3650),
  };
  const queues = asArray(root.queues ?? [], `${where} queues`).map((q, i) => {
    const at = `${where} queues[${i}]`;
    const o = asObject(q, at);
    return {
      id: requireString(o, 'id', at),
      env: requireString(o, 'env', at),
      consumer: requireString(o, 'consumer', at),
      consumer_timeout_s: requireInt(o, 'consumer_timeout_s', at, 1, 900),
      visibility_timeout_s: requireInt(o, 'visibility_timeout_s', at, 0, 43200),
      max_receive_count: requireInt(o, 'max_receive_count', at, 1, 1000),
      batch_size: requireInt(o, 'batch_size', at, 1, 10000),
      dlq_retention_days: requireInt(o, 'dlq_retention_days', at, 1, 14),
    } satisfies QueueSpec;
  });
  const secrets = asArray(root.secrets ?? [], `${where} secrets`).map((s, i) => {
    const at = `${where} secrets[${i}]`;
    const o = asObject(s, at);
    const common = {
      id: requireString(o, 'id', at),
      env: requireString(o, 'env', at),
      description: requireString(o, 'description', at),
    };
    if ('provided' in o === 'length' in o) fail(at, 'a secret is either generated (length) or provided, not both or neither');
    if ('provided' in o) {
      const provided = requireString(o, 'provided', at);
      if (!ENV_NAME.test(provided)) fail(at, `bad environment variable name ${provided}`);
      return { ...common, provided } satisfies SecretSpec;
    }
    return { ...common, length: requireInt(o, 'length', at, 16, 4096) } satisfies SecretSpec;
  });
  const keys = asArray(root.keys ?? [], `${where} keys`).map((k, i) => {
    const at = `${where} keys[${i}]`;
    const o = asObject(k, at);
    const id = requireString(o, 'id', at);
    if (!KEY_ID.test(id)) fail(at, `key id must match ${KEY_ID}: ${id}`);
    return {
      id,
      env: requireString(o, 'env', at),
      description: requireString(o, 'description', at),
    } satisfies KeySpec;
  });
  const envs = [
    table.env,
    bucket.env,
    ...queues.map((q) => q.env),
    ...secrets.map((s) => s.env),
    ...keys.map((k) => k.env),
  ];
  for (const env of envs) if (!ENV_NAME.test(env)) fail(where, `bad environment variable name ${env}`);
  if (new Set(envs).size !== envs.length) fail(where, 'environment variable names must be unique');
  for (const list of [queues, secrets, keys]) {
    const ids = list.map((x) => x.id);
    if (new Set(ids).size !== ids.length) fail(where, `duplicate id in ${ids.join(', ')}`);
  }
  return { table, bucket, queues, secrets, keys };
}

/** AWS limits of an SQS event source's maximum concurrency. */
export const MIN_MAX_CONCURRENCY = 2;
export const MAX_MAX_CONCURRENCY = 1000;
const SCHEDULE = /^(rate|cron)\(.+\)$/;

/** Validates the parsed workers manifest (each entry on its own; `checkManifests` does the rest). */
export function parseWorkers(raw: unknown, where = 'workers.json'): WorkerSpec[] {
  const workers = asArray(asObject(raw, where).workers ?? [], `${where} workers`).map((item, i) => {
    const at = `${where} workers[${i}]`;
    const w = asObject(item, at);
    const fn = requireString(w, 'function', at);
    if (!FUNCTION_NAME.test(fn)) fail(at, `function name must match ${FUNCTION_NAME}: ${fn}`);
    const queue = w.queue === undefined ? undefined : requireString(w, 'queue', at);
    const schedule = w.schedule === undefined ? undefined : requireString(w, 'schedule', at);
    if ((queue === undefined) === (schedule === undefined)) {
      fail(at, `${fn} needs exactly one of "queue" (an SQS consumer) or "schedule" (an EventBridge rule)`);
    }
    if (schedule !== undefined && !SCHEDULE.test(schedule)) {
      fail(at, `schedule must be an EventBridge rate(...) or cron(...) expression, got ${schedule}`);
    }
    let max_concurrency: number | undefined;
    let timeout_s: number | undefined;
    if (queue !== undefined) {
      max_concurrency = requireInt(w, 'max_concurrency', at, MIN_MAX_CONCURRENCY, MAX_MAX_CONCURRENCY);
      if (w.timeout_s !== undefined) {
        fail(at, `${fn}: a queue worker takes its timeout from the queue's consumer_timeout_s; remove "timeout_s"`);
      }
    } else {
      timeout_s = requireInt(w, 'timeout_s', at, 1, 900);
      if (w.max_concurrency !== undefined) {
        fail(at, `${fn}: "max_concurrency" applies to queue workers only (it is the SQS event source's limit)`);
      }
    }
    const permissions = asArray(w.permissions ?? [], `${at} permissions`).map((p) => {
      if (typeof p !== 'string') fail(at, 'permissions must be strings');
      return p;
    });
    return {
      function: fn,
      queue,
      schedule,
      memory_mb: requireInt(w, 'memory_mb', at, 128, 10240),
      max_concurrency,
      timeout_s,
      permissions,
    } satisfies WorkerSpec;
  });
  const names = workers.map((w) => w.function);
  for (const [i, name] of names.entries()) {
    if (names.indexOf(name) !== i) fail(where, `duplicate worker function ${name}`);
  }
  return workers;
}

/** API Gateway: a WebSocket connection lasts at most 2 hours, and a frame carries at most 32 KiB. */
export const MAX_CONNECTION_TTL_S = 7200;
export const MAX_FRAME_BYTES = 32 * 1024;
/** API Gateway gives a WebSocket integration at most 29 s. */
export const MAX_WEBSOCKET_TIMEOUT_S = 29;
const SPECIAL_WS_ROUTES: readonly string[] = ['$connect', '$disconnect', '$default'];
const CUSTOM_WS_ROUTE = /^[A-Za-z0-9_.:-]{1,128}$/;
const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;

/** Validates the parsed WebSocket manifest (websocket.json). */
export function parseWebSocket(raw: unknown, where = 'websocket.json'): WebSocketSpec {
  const root = asObject(raw, where);
  const wsPath = requireString(root, 'path', where);
  if (!wsPath.startsWith('/')) fail(where, `path must start with "/": ${wsPath}`);
  const stage = requireString(root, 'stage', where);
  if (!STAGE_NAME.test(stage) || stage === '$default') {
    fail(where, `stage must match ${STAGE_NAME} (and not be $default): ${stage}`);
  }
  const routes = asArray(root.routes, `${where} routes`).map((item, i) => {
    const at = `${where} routes[${i}]`;
    const r = asObject(item, at);
    const route = requireString(r, 'route', at);
    if (route.startsWith('$') ? !SPECIAL_WS_ROUTES.includes(route) : !CUSTOM_WS_ROUTE.test(route)) {
      fail(at, `route must be one of ${SPECIAL_WS_ROUTES.join(', ')} or match ${CUSTOM_WS_ROUTE}: ${route}`);
    }
    const fn = requireString(r, 'function', at);
    if (!FUNCTION_NAME.test(fn)) fail(at, `function name must match ${FUNCTION_NAME}: ${fn}`);
    const permissions = asArray(r.permissions ?? [], `${at} permissions`).map((p) => {
      if (typeof p !== 'string') fail(at, 'permissions must be strings');
      return p;
    });
    return {
      route,
      function: fn,
      memory_mb: requireInt(r, 'memory_mb', at, 128, 10240),
      timeout_s: requireInt(r, 'timeout_s', at, 1, MAX_WEBSOCKET_TIMEOUT_S),
      permissions,
    } satisfies WebSocketRouteSpec;
  });
  if (routes.length === 0) fail(where, 'needs at least one route');
  const keys = routes.map((r) => r.route);
  for (const [i, key] of keys.entries()) if (keys.indexOf(key) !== i) fail(where, `duplicate route ${key}`);
  const fns = routes.map((r) => r.function);
  for (const [i, fn] of fns.entries()) {
    if (fns.indexOf(fn) !== i) fail(where, `function ${fn} serves two routes; each route has its own function`);
  }
  return {
    path: wsPath,
    stage,
    connection_ttl_s: requireInt(root, 'connection_ttl_s', where, 1, MAX_CONNECTION_TTL_S),
    event_ttl_s: requireInt(root, 'event_ttl_s', where, 1, 366 * 86400),
    max_frame_bytes: requireInt(root, 'max_frame_bytes', where, 1, MAX_FRAME_BYTES),
    routes,
  };
}

/**
 * Checks what spans several manifests (the stack calls it, so synthetic manifests are checked too):
 * every worker's queue exists and names that worker as its `consumer`, no queue has two workers, and no
 * function is in two of routes.json, workers.json and websocket.json.
 */
export function checkManifests(m: Manifests): void {
  const queues = new Map(m.resources.queues.map((q) => [q.id, q]));
  const routeFunctions = new Set(m.routes.map((r) => r.function));
  const workerFunctions = new Set(m.workers.map((w) => w.function));
  for (const r of m.websocket.routes) {
    if (routeFunctions.has(r.function) || workerFunctions.has(r.function)) {
      const file = routeFunctions.has(r.function) ? 'routes.json' : 'workers.json';
      throw new Error(`websocket.json: ${r.function} (${r.route}) is already a function in ${file}`);
    }
  }
  const consumerOf = new Map<string, string>();
  for (const w of m.workers) {
    if (routeFunctions.has(w.function)) {
      throw new Error(`workers.json: ${w.function} is already a route function in routes.json`);
    }
    if (w.queue === undefined) continue;
    const queue = queues.get(w.queue);
    if (!queue) {
      throw new Error(
        `workers.json: ${w.function} consumes queue "${w.queue}", which resources.json does not define ` +
          `(queues: ${[...queues.keys()].join(', ')})`,
      );
    }
    const other = consumerOf.get(w.queue);
    if (other !== undefined) {
      throw new Error(`workers.json: queue "${w.queue}" is consumed by both ${other} and ${w.function}`);
    }
    consumerOf.set(w.queue, w.function);
    if (queue.consumer !== w.function) {
      throw new Error(
        `workers.json: ${w.function} consumes queue "${w.queue}", but resources.json names ` +
          `${queue.consumer} as that queue's consumer`,
      );
    }
  }
}

/** Reads and validates the four manifests from `dir` (default: `manifestDir()`). */
export function loadManifests(dir: string = manifestDir()): Manifests {
  const manifests: Manifests = {
    routes: parseRoutes(readJson(path.join(dir, 'routes.json')), path.join(dir, 'routes.json')),
    resources: parseResources(readJson(path.join(dir, 'resources.json')), path.join(dir, 'resources.json')),
    workers: parseWorkers(readJson(path.join(dir, 'workers.json')), path.join(dir, 'workers.json')),
    websocket: parseWebSocket(readJson(path.join(dir, 'websocket.json')), path.join(dir, 'websocket.json')),
  };
  checkManifests(manifests);
  return manifests;
}

/** Every Lambda the manifests name, once each: route functions, then workers, then WebSocket route functions. */
export function functionNames(m: Manifests): string[] {
  const names = [...m.routes.map((r) => r.function), ...m.workers.map((w) => w.function)];
  return [...new Set([...names, ...m.websocket.routes.map((r) => r.function)])];
}
