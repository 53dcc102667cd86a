// The WorkflowRun to create, read from a YAML or JSON file (or stdin for `-f -`).
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../apiserver/types.js';
import { API_VERSION } from '../apis/kubeactions/types.js';

/** Reads all of stdin as text. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Parses the text of one WorkflowRun manifest (YAML or JSON). Throws an Error naming `source`
 * for a syntax error, for anything but exactly one document, and for another kind or apiVersion.
 */
export function parseManifest(text: string, source: string): KubeObject {
  const docs = parseAllDocuments(text).filter((d) => d.contents !== null);
  if (docs.length !== 1) throw new Error(`${source}: expected one WorkflowRun, found ${docs.length} documents`);
  const [doc] = docs as [(typeof docs)[number]];
  if (doc.errors.length > 0) throw new Error(`error parsing ${source}: ${doc.errors[0]?.message ?? 'invalid YAML'}`);
  const obj = doc.toJS() as unknown;
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new Error(`${source}: not an object`);
  const run = obj as KubeObject;
  if (run.kind !== 'WorkflowRun' || run.apiVersion !== API_VERSION) {
    throw new Error(`${source}: expected apiVersion ${API_VERSION}, kind WorkflowRun (found ${String(run.apiVersion)}, ${String(run.kind)})`);
  }
  return run;
}

/** Reads and parses the manifest at `file` (`-` = stdin); kubectl's error for a missing file. */
export async function readManifest(file: string): Promise<KubeObject> {
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`the path "${file}" does not exist`);
    throw err;
  }
  return parseManifest(text, file === '-' ? 'STDIN' : file);
}

/** A copy of `run` whose `spec.params` has `params` laid over it (nothing changes when empty). */
export function withParams(run: KubeObject, params: Record<string, string>): KubeObject {
  if (Object.keys(params).length === 0) return run;
  const spec = (typeof run.spec === 'object' && run.spec !== null ? run.spec : {}) as Record<string, unknown>;
  const current = (typeof spec.params === 'object' && spec.params !== null ? spec.params : {}) as Record<string, string>;
  return { ...run, spec: { ...spec, params: { ...current, ...params } } };
}

/**
 * The namespace to create `run` in: the manifest's own unless `-n` was given; both given and
 * different is kubectl's error (`the namespace from the provided object "a" does not match …`).
 */
export function manifestNamespace(run: KubeObject, namespace: string, explicit: boolean): string {
  const own = run.metadata?.namespace;
  if (!own) return namespace;
  if (explicit && own !== namespace) {
    throw new Error(`the namespace from the provided object "${own}" does not match the namespace "${namespace}". You must pass '--namespace=${own}' to perform this operation.`);
  }
  return own;
}
