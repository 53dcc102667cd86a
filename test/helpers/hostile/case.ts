// What one hostile HTTP request is, and the fixture the generators aim at.

/** One generated malformed request and what the server must answer. */
export interface HostileCase {
  /** The generator family (for the per-family counts). */
  family: string;
  /** A short description of the variant, for failure messages. */
  what: string;
  method: string;
  /** Path and query, already percent-encoded where needed. */
  path: string;
  headers?: Record<string, string>;
  /** Sent as is (a string as UTF-8); with no Content-Type header one of application/json is added. */
  body?: string | Buffer;
  /**
   * Send the body with chunked transfer encoding instead of a Content-Length (the server then
   * learns it is too large while reading, and may close before the client has written it all).
   */
  chunked?: boolean;
  /** The exact HTTP status kube-apiserver answers, where it is known; otherwise any 4xx. */
  code?: number;
}

/** The objects the generators aim at: a namespace and a finished run in it. */
export interface Fixture {
  namespace: string;
  /** A run that exists (finished, so nothing changes it). */
  name: string;
  uid: string;
}

export const GV_PATH = '/apis/kubeactions.dev/v1alpha1';

/** The collection path in the fixture's namespace (or in `namespace`). */
export function collection(fx: Fixture, namespace = fx.namespace): string {
  return `${GV_PATH}/namespaces/${namespace}/workflowruns`;
}

/** The path of the fixture's run (or of `name`), with an optional subresource. */
export function item(fx: Fixture, name = fx.name, sub = ''): string {
  return `${collection(fx)}/${name}${sub ? `/${sub}` : ''}`;
}

/** A valid WorkflowRun body with `name`, to be broken by a generator. */
export function validRun(name: string): Record<string, unknown> {
  return {
    apiVersion: 'kubeactions.dev/v1alpha1',
    kind: 'WorkflowRun',
    metadata: { name, labels: { app: 'hostile' } },
    spec: {
      params: { GIT_REF: 'main' },
      timeoutSeconds: 60,
      ttlSecondsAfterFinished: 60,
      retry: { limit: 1, backoffSeconds: 1 },
      steps: [{ name: 'one', run: 'true', env: [{ name: 'CI', value: 'true' }], workingDir: 'app', timeoutSeconds: 5, continueOnError: false, stdin: false }],
    },
  };
}

/** Sets `value` at a dotted path (`spec.steps.0.name`) of a JSON value, creating objects on the way. */
export function setPath(root: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const keys = path.split('.');
  let node: Record<string, unknown> = root;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] ?? ''] = value;
  return root;
}

/** The HTTP methods that take a body, with the path each is sent to. */
export function bodyTargets(fx: Fixture): { method: string; path: string }[] {
  return [
    { method: 'POST', path: collection(fx) },
    { method: 'PUT', path: item(fx) },
    { method: 'POST', path: item(fx, fx.name, 'cancel') },
    { method: 'POST', path: item(fx, fx.name, 'retry') },
  ];
}
