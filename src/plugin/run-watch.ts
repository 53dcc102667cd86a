// Following one WorkflowRun: a GET, then a watch on `metadata.name=NAME` from its
// resourceVersion that resumes after the server ends it and re-reads the run on 410 Expired.
import type { IncomingMessage } from 'node:http';
import type { Status } from '../apiserver/types.js';
import { isFinished, type WorkflowRun } from '../apis/kubeactions/types.js';
import type { ApiClient } from './client.js';
import { collectionPath, runPath } from './resource.js';
import { hasReason, StatusError } from './status-error.js';

/** A state of the run: the first is the GET (`ADDED`), `DELETED` is always the last. */
export interface RunEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  run: WorkflowRun;
}

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: WorkflowRun | Status;
}

/** The NDJSON lines of a watch response. */
async function* lines(res: IncomingMessage): AsyncGenerator<string> {
  res.setEncoding('utf8');
  let pending = '';
  for await (const chunk of res) {
    pending += chunk as string;
    let nl = pending.indexOf('\n');
    for (; nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line) yield line;
    }
  }
  if (pending.trim()) yield pending.trim();
}

function watchQuery(name: string, resourceVersion: string): URLSearchParams {
  return new URLSearchParams({
    watch: 'true',
    fieldSelector: `metadata.name=${name}`,
    resourceVersion,
    allowWatchBookmarks: 'true',
  });
}

/**
 * Yields the run's current state, then each change until it is deleted (the generator then
 * returns) or `signal` aborts (the pending request rejects with the abort reason). The GET's
 * NotFound and any other Status the server answers reject as StatusError.
 */
export async function* watchRun(client: ApiClient, namespace: string, name: string, signal?: AbortSignal): AsyncGenerator<RunEvent> {
  const opts = signal ? { signal } : {};
  let run = await client.json<WorkflowRun>('GET', runPath(namespace, name), opts);
  yield { type: 'ADDED', run };
  let rv = run.metadata.resourceVersion ?? '0';
  for (;;) {
    const res = await client.request('GET', collectionPath(namespace), { ...opts, query: watchQuery(name, rv) });
    let expired = false;
    for await (const line of lines(res)) {
      const event = JSON.parse(line) as WatchEvent;
      if (event.type === 'ERROR') {
        const status = event.object as Status;
        if (status.code !== 410) throw new StatusError(status);
        expired = true;
        break;
      }
      const obj = event.object as WorkflowRun;
      rv = obj.metadata.resourceVersion ?? rv;
      if (event.type === 'BOOKMARK') continue;
      run = obj;
      yield { type: event.type, run };
      if (event.type === 'DELETED') return;
    }
    if (expired) {
      res.destroy();
      try {
        run = await client.json<WorkflowRun>('GET', runPath(namespace, name), opts);
      } catch (err) {
        if (!hasReason(err, 'NotFound')) throw err;
        yield { type: 'DELETED', run };
        return;
      }
      rv = run.metadata.resourceVersion ?? rv;
      yield { type: 'MODIFIED', run };
    }
  }
}

/**
 * Resolves with the run once it has finished (Succeeded, Failed or Cancelled); rejects when it
 * is deleted first, when `signal` aborts, or with the server's StatusError.
 */
export async function waitForRun(client: ApiClient, namespace: string, name: string, signal?: AbortSignal): Promise<WorkflowRun> {
  for await (const { type, run } of watchRun(client, namespace, name, signal)) {
    if (isFinished(run.status?.phase)) return run;
    if (type === 'DELETED') throw new Error(`workflowrun "${name}" was deleted before it finished`);
  }
  throw new Error(`the watch of workflowrun "${name}" ended unexpectedly`);
}
