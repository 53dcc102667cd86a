// GET …/workflowruns/NAME/log: the query (client-node's LogOptions names, plus `step` and
// `attempt`) and copying the text/plain stream to a writable as it comes.
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { ApiClient } from './client.js';
import { runPath } from './resource.js';

/** The log subresource's options (PodLogOptions with `step` for `container`). */
export interface LogOptions {
  follow?: boolean;
  step?: string;
  /** The run's attempt to read (1, 2, …); default: the current one. */
  attempt?: number;
  previous?: boolean;
  timestamps?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  /** RFC 3339. */
  sinceTime?: string;
  limitBytes?: number;
}

/** The query string of a log request; false flags and unset values are left out. */
export function logQuery(opts: LogOptions): URLSearchParams {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(opts) as [string, unknown][]) {
    if (value === undefined || value === false) continue;
    q.set(key, String(value));
  }
  return q;
}

/**
 * Copies the run's log to `out` (respecting back-pressure) until the server ends it — with
 * `follow`, when the run ends. Rejects with the server's StatusError (decided before the first
 * byte), or with the abort error when `signal` aborts.
 */
export async function streamLog(client: ApiClient, namespace: string, name: string, opts: LogOptions, out: Writable, signal?: AbortSignal): Promise<void> {
  const res = await client.request('GET', runPath(namespace, name, 'log'), {
    query: logQuery(opts),
    accept: 'text/plain, application/json',
    ...(signal ? { signal } : {}),
  });
  for await (const chunk of res) {
    if (!out.write(chunk as Buffer)) await once(out, 'drain');
  }
}
