// The WorkflowRun API as the bench drives it.
import { sleep } from './clock.js';
import type { HttpTarget } from './http.js';
import { request, requestJson } from './http.js';

/** The collection path of WorkflowRuns in the `default` namespace. */
export const RUNS_PATH = '/apis/kubeactions.dev/v1alpha1/namespaces/default/workflowruns';

/** A minimal run whose one step runs `script` (default `true`); named `name`, or generated from `bench-`. */
export function runBody(name?: string, script = 'true'): string {
  const metadata = name === undefined ? { generateName: 'bench-' } : { name };
  return JSON.stringify({
    apiVersion: 'kubeactions.dev/v1alpha1', kind: 'WorkflowRun', metadata,
    spec: { steps: [{ name: 'main', run: script }] },
  });
}

interface Created {
  metadata: { name: string; uid: string; resourceVersion: string };
}

/** Creates a run (of `runBody(name, script)`) and returns its name and uid; throws unless the answer is 201. */
export async function createRun(t: HttpTarget, name?: string, script?: string): Promise<{ name: string; uid: string }> {
  const obj = await requestJson<Created>(t, 'POST', RUNS_PATH, 201, runBody(name, script));
  return { name: obj.metadata.name, uid: obj.metadata.uid };
}

/** POSTs a run; resolves to the status code, and the uid when created. */
export async function postRun(t: HttpTarget, body: string): Promise<{ status: number; uid?: string }> {
  const res = await request(t, 'POST', RUNS_PATH, body);
  if (res.status !== 201) return { status: res.status };
  return { status: res.status, uid: (JSON.parse(res.body.toString('utf8')) as Created).metadata.uid };
}

/** The list's resourceVersion (from a list with limit=1). */
export async function listResourceVersion(t: HttpTarget): Promise<string> {
  const list = await requestJson<{ metadata: { resourceVersion: string } }>(t, 'GET', `${RUNS_PATH}?limit=1`, 200);
  return list.metadata.resourceVersion;
}

/** Polls run `name` every 20 ms until its phase is `phase`; throws if it ends or `timeoutMs` passes first. */
export async function waitForPhase(t: HttpTarget, name: string, phase: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = '';
  while (Date.now() < deadline) {
    const run = await requestJson<{ status?: { phase?: string } }>(t, 'GET', `${RUNS_PATH}/${name}`, 200);
    seen = run.status?.phase ?? '';
    if (seen === phase) return;
    if (['Succeeded', 'Failed', 'Cancelled'].includes(seen)) break;
    await sleep(20);
  }
  throw new Error(`run ${name} did not reach phase ${phase} within ${timeoutMs} ms (last seen: ${seen || 'no phase'})`);
}
