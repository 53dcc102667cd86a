// Reading manifests/ and what kustomize makes of it, and the few Kubernetes semantics the
// manifest tests evaluate (label selectors, named ports).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { V1Container, V1LabelSelector, V1PodSpec } from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { repoRoot } from './repo-root.js';

/** A Kubernetes object as read from YAML: typed metadata, everything else left to the reader. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** What a kustomization.yaml (Kustomization or Component) says, as far as the tests read it. */
export interface Kustomization {
  kind: string;
  resources?: string[];
  components?: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
}

export const manifestsDir = path.join(repoRoot(), 'manifests');

/**
 * Every document in a YAML text, parsed as kubectl parses it (YAML 1.1, so a file mode such as
 * `defaultMode: 0400` is octal); throws on a YAML error.
 */
export function parseDocuments(text: string): unknown[] {
  return parseAllDocuments(text, { version: '1.1' }).map((doc) => {
    if (doc.errors.length > 0) throw doc.errors[0];
    return doc.toJS() as unknown;
  });
}

/** The kustomization.yaml of `dir`. */
export function readKustomization(dir: string): Kustomization {
  return parseDocuments(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8'))[0] as Kustomization;
}

/** The YAML files of `dir` itself (not its subdirectories), kustomization.yaml excluded, sorted. */
export function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.yaml') && e.name !== 'kustomization.yaml')
    .map((e) => e.name)
    .sort();
}

/** The documents of one manifest file (each file is meant to hold exactly one). */
export function readManifest(file: string): unknown[] {
  return parseDocuments(readFileSync(file, 'utf8'));
}

/** `kubectl kustomize dir`, parsed. */
export function kustomize(dir: string): KubeObject[] {
  const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseDocuments(out) as KubeObject[];
}

/**
 * Renders an overlay of manifests/ written to a temporary directory: `resources` is manifests/
 * and `components` are directories under manifests/components (kustomize wants relative paths).
 */
export function kustomizeOverlay(components: string[]): KubeObject[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kube-actions-overlay-'));
  try {
    const rel = (p: string): string => path.relative(dir, p);
    const overlay = {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: [rel(manifestsDir)],
      components: components.map((c) => rel(path.join(manifestsDir, 'components', c))),
    };
    writeFileSync(path.join(dir, 'kustomization.yaml'), stringify(overlay));
    return kustomize(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `kind/namespace/name` of an object. */
export function objectKey(o: KubeObject): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/** The one object of `kind` named `name` among `objects`, typed as the caller's model; throws if absent. */
export function find<T>(objects: readonly KubeObject[], kind: string, name: string): T {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0] as unknown as T;
}

/** Whether `labels` satisfy a LabelSelector (matchLabels and matchExpressions, as the apiserver evaluates them). */
export function selectorMatches(selector: V1LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return byLabel && (selector.matchExpressions ?? []).every((e) => {
    const value = labels[e.key];
    switch (e.operator) {
      case 'In': return value !== undefined && (e.values ?? []).includes(value);
      case 'NotIn': return value === undefined || !(e.values ?? []).includes(value);
      case 'Exists': return value !== undefined;
      case 'DoesNotExist': return value === undefined;
      default: throw new Error(`unknown selector operator ${e.operator}`);
    }
  });
}

/** The container port a Service targetPort or NetworkPolicy port means in a pod: a number as is, a name looked up. */
export function resolvePort(pod: V1PodSpec, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  const ports = pod.containers.flatMap((c: V1Container) => c.ports ?? []);
  return ports.find((p) => p.name === port)?.containerPort;
}
