// A small HTTPS client for WorkflowRuns (and raw paths) on a running kube-actions apiserver, for
// integration tests that drive the real server and watch what the worker does.
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { waitFor } from './wait.js';

/** Where an apiserver serves and how to talk to it. */
export interface ApiTarget {
  /** `https://127.0.0.1:<port>` */
  url: string;
  /** A bearer token the server accepts (an admin: group system:masters). */
  token: string;
  /** PEM of the CA that signed the serving certificate. */
  ca: string;
}

/** The parts of a WorkflowRun the tests look at. */
export interface Run {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string; deletionTimestamp?: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
  status?: {
    phase?: string;
    attempt?: number;
    workerId?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    steps?: { name: string; phase: string; exitCode?: number; message?: string }[];
  };
}

export interface RawResponse {
  status: number;
  body: string;
}

export const RUNS_API = '/apis/kubeactions.dev/v1alpha1';

/** The collection path of WorkflowRuns in `namespace`. */
export function runsPath(namespace: string): string {
  return `${RUNS_API}/namespaces/${namespace}/workflowruns`;
}

/** A KubeConfig for `target` (for client-node's Watch and KubernetesObjectApi). */
export function kubeConfigFor(target: ApiTarget): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'kube-actions', server: target.url, caData: Buffer.from(target.ca).toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'admin', token: target.token }],
    contexts: [{ name: 'kube-actions', cluster: 'kube-actions', user: 'admin', namespace: 'default' }],
    currentContext: 'kube-actions',
  });
  return kc;
}

/** The Succeeded condition's reason, if any. */
export function succeededReason(run: Run | undefined): string | undefined {
  return run?.status?.conditions?.find((c) => c.type === 'Succeeded')?.reason;
}

/** WorkflowRun operations over HTTPS; non-2xx answers reject with the Status text. */
export class RunClient {
  readonly #agent: https.Agent;

  constructor(readonly target: ApiTarget) {
    this.#agent = new https.Agent({ ca: target.ca, keepAlive: true });
  }

  /** One request; resolves with any status. */
  raw(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<RawResponse> {
    const data = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(new URL(path, this.target.url), {
        method,
        agent: this.#agent,
        headers: {
          authorization: `Bearer ${this.target.token}`,
          accept: 'application/json',
          ...(data === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(data) }),
        },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(data);
    });
  }

  async #ok(method: string, path: string, body?: unknown): Promise<string> {
    const res = await this.raw(method, path, body);
    if (res.status < 200 || res.status > 299) throw new Error(`${method} ${path}: ${res.status} ${res.body}`);
    return res.body;
  }

  /** Creates a run from its spec (and name or generateName); resolves with the stored object. */
  async create(namespace: string, meta: { name?: string; generateName?: string; labels?: Record<string, string> }, spec: Record<string, unknown>): Promise<Run> {
    const obj = { apiVersion: 'kubeactions.dev/v1alpha1', kind: 'WorkflowRun', metadata: meta, spec };
    return JSON.parse(await this.#ok('POST', runsPath(namespace), obj)) as Run;
  }

  /** The run, or undefined when the server answers 404. */
  async get(namespace: string, name: string): Promise<Run | undefined> {
    const res = await this.raw('GET', `${runsPath(namespace)}/${name}`);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`GET ${namespace}/${name}: ${res.status} ${res.body}`);
    return JSON.parse(res.body) as Run;
  }

  async list(namespace: string): Promise<{ items: Run[]; resourceVersion: string }> {
    const list = JSON.parse(await this.#ok('GET', runsPath(namespace))) as { items: Run[]; metadata: { resourceVersion: string } };
    return { items: list.items, resourceVersion: list.metadata.resourceVersion };
  }

  /** DELETE; resolves with the HTTP status (200/202), rejects on other answers. */
  async delete(namespace: string, name: string): Promise<number> {
    const res = await this.raw('DELETE', `${runsPath(namespace)}/${name}`);
    if (res.status !== 200 && res.status !== 202) throw new Error(`DELETE ${namespace}/${name}: ${res.status} ${res.body}`);
    return res.status;
  }

  /** The run's log as text (`query` without the leading `?`). */
  async log(namespace: string, name: string, query = ''): Promise<RawResponse> {
    return this.raw('GET', `${runsPath(namespace)}/${name}/log${query ? `?${query}` : ''}`);
  }

  /** Polls until `cond(run)` holds; resolves with that run. */
  async until(namespace: string, name: string, cond: (run: Run | undefined) => boolean, what: string, timeoutMs = 30_000): Promise<Run | undefined> {
    let last: Run | undefined;
    await waitFor(async () => cond((last = await this.get(namespace, name))), {
      timeoutMs, intervalMs: 50, message: `${namespace}/${name} ${what} (last: ${JSON.stringify(last?.status)})`,
    });
    return last;
  }

  /** Polls until the run is in one of `phases`. */
  async untilPhase(namespace: string, name: string, phases: string[], timeoutMs = 30_000): Promise<Run> {
    const run = await this.until(namespace, name, (r) => phases.includes(r?.status?.phase ?? ''), `to reach ${phases.join('|')}`, timeoutMs);
    return run as Run;
  }

  close(): void {
    this.#agent.destroy();
  }
}
