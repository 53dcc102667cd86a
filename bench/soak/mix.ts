// The soak's mix of verbs against every apiserver in turn: creates of short runs over a few
// namespaces and shards, gets, lists (limit=50 with a label selector), log follows, short exec
// sessions into runs whose step waits, and deletes that keep the number of runs bounded.
import { monoMs } from '../clock.js';
import { type HttpResponse, type HttpTarget, request } from '../http.js';
import { execSession } from './exec-session.js';
import type { Operation, Verb } from './pacer.js';
import type { RunPool } from './run-pool.js';

/** Namespaces the creates go to, one after another. */
export const NAMESPACES = ['soak-0', 'soak-1', 'soak-2', 'soak-3'];
/** Values of the `soak-shard` label, which watches and lists select on. */
export const SHARDS = 5;
/** The namespace of the runs exec sessions go into. */
export const HOLD_NAMESPACE = 'soak-hold';
const GROUP_PATH = '/apis/kubeactions.dev/v1alpha1';
const REQUEST_TIMEOUT_MS = 30_000;
/** Runs younger than this are not deleted (their create → finish and the reads on them have time). */
export const DELETE_MIN_AGE_MS = 2000;
const EXPECTED_LOG = 'hi\n';

/** A run the mix created, for the watch check. */
export interface Created {
  name: string;
  namespace: string;
  shard: string;
}

/** What the verbs share. */
export interface MixState {
  /**
   * One per apiserver; operation i of every verb goes to `targets[i % targets.length]`, and
   * consecutive operations do the same thing, so that each kind of request reaches every apiserver.
   */
  targets: HttpTarget[];
  ca: string;
  token: string;
  pool: RunPool;
  /** Names of the runs in {@link HOLD_NAMESPACE} whose step waits. */
  holders: string[];
  /** Every run created so far. */
  created: Created[];
  /** Whether creates are measured: their send times go into `sentAt`, for the watches' latency. */
  measuring: boolean;
  /** monoMs at which each measured create was sent, by run name. */
  sentAt: Record<string, number>;
  /** The next create's sequence number. */
  seq: number;
}

/** The collection path of WorkflowRuns in `namespace` (all namespaces when empty). */
export function runsPath(namespace: string): string {
  return namespace ? `${GROUP_PATH}/namespaces/${namespace}/workflowruns` : `${GROUP_PATH}/workflowruns`;
}

/** A WorkflowRun manifest whose one step runs `script`. */
export function runManifest(name: string, script: string, labels: Record<string, string> = {}): string {
  return JSON.stringify({
    apiVersion: 'kubeactions.dev/v1alpha1', kind: 'WorkflowRun', metadata: { name, labels },
    spec: { steps: [{ name: 'main', run: script }] },
  });
}

/** Sends a request, rejecting when no answer came within 30 s or the status is not `expected`. */
export async function call(t: HttpTarget, method: string, path: string, expected: number, body?: string): Promise<HttpResponse> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${method} ${path}: no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)), REQUEST_TIMEOUT_MS);
  });
  try {
    const res = await Promise.race([request(t, method, path, body), timeout]);
    if (res.status !== expected) {
      throw new Error(`${method} ${path} (port ${t.port}): expected ${expected}, got ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
    }
    return res;
  } finally {
    clearTimeout(timer);
  }
}

function target(s: MixState, i: number): HttpTarget {
  return s.targets[i % s.targets.length] as HttpTarget;
}

function create(s: MixState): Operation {
  return async (i) => {
    const seq = s.seq++;
    // Consecutive creates go to different apiservers but the same namespace and shard.
    const namespace = NAMESPACES[Math.floor(seq / 2) % NAMESPACES.length] ?? '';
    const run: Created = { name: `soak-${seq}`, namespace, shard: String(Math.floor(seq / (2 * NAMESPACES.length)) % SHARDS) };
    if (s.measuring) s.sentAt[run.name] = monoMs();
    await call(target(s, i), 'POST', runsPath(run.namespace), 201, runManifest(run.name, 'echo hi', { app: 'soak', 'soak-shard': run.shard }));
    s.created.push(run);
    s.pool.add(run);
    return true;
  };
}

function get(s: MixState): Operation {
  return async (i) => {
    const run = s.pool.pick();
    if (!run) return false;
    return s.pool.use(run, async () => {
      const res = await call(target(s, i), 'GET', `${runsPath(run.namespace)}/${run.name}`, 200);
      const got = (JSON.parse(res.body.toString('utf8')) as { metadata?: { name?: string } }).metadata?.name;
      if (got !== run.name) throw new Error(`GET ${run.namespace}/${run.name}: got an object named ${JSON.stringify(got)}`);
      return true;
    });
  };
}

/** Half the lists (each pair of operations, one per apiserver) one namespace's runs of one shard; the others all soak runs. */
function list(s: MixState): Operation {
  return async (i) => {
    const k = Math.floor(i / 2);
    const shard = String(Math.floor(k / 2 / NAMESPACES.length) % SHARDS);
    const namespace = k % 2 === 0 ? NAMESPACES[Math.floor(k / 2) % NAMESPACES.length] ?? '' : '';
    const selector = namespace ? `soak-shard=${shard}` : 'app=soak';
    const path = `${runsPath(namespace)}?limit=50&labelSelector=${encodeURIComponent(selector)}`;
    const res = await call(target(s, i), 'GET', path, 200);
    const body = JSON.parse(res.body.toString('utf8')) as { kind?: string; items?: { metadata?: { namespace?: string; labels?: Record<string, string> } }[] };
    const items = body.items ?? [];
    const stray = items.find((o) => (namespace ? o.metadata?.namespace !== namespace || o.metadata.labels?.['soak-shard'] !== shard : o.metadata?.labels?.['app'] !== 'soak'));
    if (body.kind !== 'WorkflowRunList' || items.length > 50 || stray) {
      throw new Error(`GET ${path}: kind ${body.kind}, ${items.length} items${stray ? `, one not selected: ${JSON.stringify(stray.metadata)}` : ''}`);
    }
    return true;
  };
}

/** Follows the newest run's log (often still pending or running) for half the pairs of operations, a random run's for the others. */
function log(s: MixState): Operation {
  return async (i) => {
    const run = s.pool.pick(Math.floor(i / 2) % 2 === 0);
    if (!run) return false;
    return s.pool.use(run, async () => {
      const path = `${runsPath(run.namespace)}/${run.name}/log?follow=true`;
      const res = await call(target(s, i), 'GET', path, 200);
      const text = res.body.toString('utf8');
      if (text !== EXPECTED_LOG) throw new Error(`GET ${path}: log ${JSON.stringify(text.slice(0, 200))}, expected ${JSON.stringify(EXPECTED_LOG)}`);
      return true;
    });
  };
}

/** `echo ok` in one of the holding runs, over websocket; expects `ok` on stdout and a Success Status. */
function exec(s: MixState): Operation {
  return async (i) => {
    const name = s.holders[Math.floor(i / s.targets.length) % s.holders.length] ?? '';
    const path = `${runsPath(HOLD_NAMESPACE)}/${name}/exec?command=echo&command=ok&stdout=true&stderr=true`;
    const r = await execSession({ port: target(s, i).port, path, ca: s.ca, token: s.token, timeoutMs: REQUEST_TIMEOUT_MS });
    let status: unknown;
    try {
      status = (JSON.parse(r.status) as { status?: unknown }).status;
    } catch {
      status = undefined;
    }
    if (r.stdout !== 'ok\n' || status !== 'Success') {
      throw new Error(`exec ${path} (port ${target(s, i).port}): stdout ${JSON.stringify(r.stdout)}, stderr ${JSON.stringify(r.stderr)}, status ${r.status || '(none)'}, close ${r.code}`);
    }
    return true;
  };
}

function del(s: MixState): Operation {
  return async (i) => {
    const run = s.pool.takeOldest(DELETE_MIN_AGE_MS);
    if (!run) return false;
    await call(target(s, i), 'DELETE', `${runsPath(run.namespace)}/${run.name}`, 200);
    return true;
  };
}

/** The verbs at `rate` creates per second; the others at fixed multiples of it. */
export function mixVerbs(s: MixState, rate: number): Verb[] {
  return [
    { name: 'create', rate, maxInFlight: 32, op: create(s) },
    { name: 'get', rate: rate * 5, maxInFlight: 32, op: get(s) },
    { name: 'list', rate: rate / 2, maxInFlight: 8, op: list(s) },
    { name: 'log', rate: rate / 2, maxInFlight: 32, op: log(s) },
    { name: 'exec', rate: rate / 4, maxInFlight: 8, op: exec(s) },
    // Twice the create rate, so that it keeps up; it does nothing while no run is old enough.
    { name: 'delete', rate: rate * 2, maxInFlight: 64, op: del(s) },
  ];
}
