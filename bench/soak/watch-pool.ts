// The soak's open watches (run in a process of their own, watch-child.ts): each remembers when
// it saw each run ADDED, so that the end can check that every watch saw every create it
// selects; a watch that ends, errs or receives an ERROR event counts as an error.
import type { ClientRequest } from 'node:http';
import https from 'node:https';
import { monoMs } from '../clock.js';
import type { Created } from './mix.js';
import { type VerbStats, newStats, recordError } from './pacer.js';

const OPEN_TIMEOUT_MS = 30_000;
const PARALLEL_OPENS = 32;
const GROUP_PATH = '/apis/kubeactions.dev/v1alpha1';

/** What one watch selects: every run (cluster-wide), or one namespace's runs of one shard. */
export interface WatchSpec {
  namespace?: string;
  shard?: string;
}

interface OpenWatch {
  spec: WatchSpec;
  req: ClientRequest;
  /** monoMs at which each run was received ADDED, by name. */
  added: Map<string, number>;
}

/** The path of a watch on `spec` from resourceVersion `rv`. */
export function watchPath(spec: WatchSpec, rv: string): string {
  const q = new URLSearchParams({ watch: 'true', resourceVersion: rv });
  if (spec.shard !== undefined) q.set('labelSelector', `soak-shard=${spec.shard}`);
  const scope = spec.namespace === undefined ? '' : `/namespaces/${spec.namespace}`;
  return `${GROUP_PATH}${scope}/workflowruns?${q}`;
}

/** Whether a watch on `spec` sees a run in `namespace` with shard label `shard`. */
export function selects(spec: WatchSpec, namespace: string, shard: string): boolean {
  return (spec.namespace === undefined || spec.namespace === namespace) && (spec.shard === undefined || spec.shard === shard);
}

/** Open watches; `stats.errors` counts their errors, `events` every event received. */
export class WatchPool {
  readonly stats: VerbStats = newStats();
  /** Events of any type received. */
  events = 0;
  readonly #watches: OpenWatch[] = [];
  readonly #agent: https.Agent;
  #closing = false;

  constructor(ca: string, private readonly token: string) {
    this.#agent = new https.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY, ca });
  }

  get count(): number {
    return this.#watches.length;
  }

  /** Opens one watch per spec on `ports[i % ports.length]`, a few at a time; rejects if any fails to open. */
  async open(specs: WatchSpec[], ports: number[], rv: string): Promise<void> {
    let next = 0;
    const opener = async (): Promise<void> => {
      while (next < specs.length) {
        const i = next++;
        const spec = specs[i] as WatchSpec;
        this.#watches.push(await this.#openOne(spec, ports[i % ports.length] ?? 0, watchPath(spec, rv)));
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_OPENS, specs.length) }, opener));
  }

  /** (watch, create) pairs where the watch selects the run but has not seen it ADDED. */
  missing(creates: Created[]): number {
    let n = 0;
    for (const w of this.#watches) {
      for (const c of creates) if (selects(w.spec, c.namespace, c.shard) && !w.added.has(c.name)) n++;
    }
    return n;
  }

  /** create sent → ADDED received (ms), for every watch that received one of the runs in `sentAt` (monoMs by name). */
  latencies(sentAt: Record<string, number>): number[] {
    const out: number[] = [];
    for (const w of this.#watches) {
      for (const [name, at] of w.added) {
        const t0 = sentAt[name];
        if (t0 !== undefined) out.push(at - t0);
      }
    }
    return out;
  }

  close(): void {
    this.#closing = true;
    for (const w of this.#watches) w.req.destroy();
    this.#agent.destroy();
  }

  /** Parses only ADDED and ERROR events (the encoder writes `{"type":"…","object":…}`), counts the others. */
  #onLine(w: OpenWatch, line: string): void {
    const at = monoMs();
    this.events++;
    const known = line.startsWith('{"type":"');
    if (known && !line.startsWith('{"type":"ADDED"') && !line.startsWith('{"type":"ERROR"')) return;
    let e: { type?: string; object?: { metadata?: { name?: string } } };
    try {
      e = JSON.parse(line) as typeof e;
    } catch {
      recordError(this.stats, `watch ${w.req.path}: a line that is not JSON: ${line.slice(0, 300)}`);
      return;
    }
    if (e.type === 'ERROR' || !known) recordError(this.stats, `watch ${w.req.path}: unexpected event ${line.slice(0, 300)}`);
    else w.added.set(e.object?.metadata?.name ?? '', at);
  }

  #openOne(spec: WatchSpec, port: number, path: string): Promise<OpenWatch> {
    return new Promise((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port, path, agent: this.#agent, headers: { Accept: 'application/json', Authorization: `Bearer ${this.token}` } });
      const w: OpenWatch = { spec, req, added: new Map() };
      const timer = setTimeout(() => req.destroy(new Error(`no response within ${OPEN_TIMEOUT_MS} ms`)), OPEN_TIMEOUT_MS);
      let ended = false;
      const lost = (why: string): void => {
        if (!this.#closing && !ended) recordError(this.stats, `watch ${path} on port ${port}: ${why}`);
        ended = true;
      };
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`opening watch ${path} on port ${port}: ${err.message}`));
        lost(err.message);
      });
      req.on('response', (res) => {
        clearTimeout(timer);
        if (res.statusCode !== 200) {
          reject(new Error(`watch ${path} on port ${port} answered HTTP ${res.statusCode}`));
          req.destroy();
          return;
        }
        let partial = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const lines = (partial + chunk).split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) if (line) this.#onLine(w, line);
        });
        res.on('error', (err) => lost(err.message));
        res.on('close', () => lost('the watch ended'));
        resolve(w);
      });
      req.end();
    });
  }
}
