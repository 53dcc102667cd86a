// The labels kube-apiserver puts on its request metrics (k8s.io/apiserver
// pkg/endpoints/metrics/metrics.go and installer.go `requestScope`), computed from a RequestInfo.
// Labels only ever name served resources and paths, so that requests to made-up URLs cannot
// grow the number of series.
import type { ResourceInstall } from './handlers/types.js';
import type { RequestInfo } from './request-info.js';

/** The labels of apiserver_request_duration_seconds and apiserver_longrunning_requests. */
export interface RequestLabels {
  /** Upper-case: GET, LIST, WATCH, POST, PUT, PATCH, APPLY, DELETE, DELETECOLLECTION, CONNECT; the HTTP method for paths. */
  verb: string;
  group: string;
  version: string;
  resource: string;
  /** The subresource; for non-resource requests the path (as kube-apiserver does). */
  subresource: string;
  /** `resource` (one named object, or a create), `namespace`, `cluster`; empty for paths. */
  scope: string;
  component: string;
}

const RESOURCE_VERBS: Readonly<Record<string, string>> = {
  get: 'GET', list: 'LIST', watch: 'WATCH', create: 'POST', update: 'PUT', patch: 'PATCH',
  delete: 'DELETE', deletecollection: 'DELETECOLLECTION',
};

/** genericfilters.BasicLongRunningRequestCheck as kube-apiserver configures it. */
const LONG_RUNNING_VERBS: ReadonlySet<string> = new Set(['watch', 'proxy']);
const LONG_RUNNING_SUBRESOURCES: ReadonlySet<string> = new Set(['attach', 'exec', 'proxy', 'log', 'portforward']);
const READ_ONLY_VERBS: ReadonlySet<string> = new Set(['get', 'list', 'watch']);

const APPLY_PATCH = 'application/apply-patch+yaml';

/** Watches and streams (log, exec, attach): not in flight, counted as long-running instead. */
export function isLongRunning(info: RequestInfo): boolean {
  return LONG_RUNNING_VERBS.has(info.verb) || (info.isResourceRequest && LONG_RUNNING_SUBRESOURCES.has(info.subresource));
}

/** get, list and watch (of resources and paths): `readOnly` in-flight requests; the rest are `mutating`. */
export function isReadOnly(info: RequestInfo): boolean {
  return READ_ONLY_VERBS.has(info.verb);
}

interface Served {
  subresources: ReadonlySet<string>;
  connecters: ReadonlySet<string>;
}

/** Computes request labels for the resources one server installs. */
export class RequestLabeler {
  readonly #served = new Map<string, Served>();

  constructor(
    installs: readonly ResourceInstall[],
    readonly component = 'apiserver',
  ) {
    for (const i of installs) {
      const d = i.descriptor;
      this.#served.set(`${d.group}/${d.version}/${d.plural}`, {
        subresources: new Set(d.subresources.map((s) => s.name)),
        connecters: new Set(Object.keys(i.connecters ?? {})),
      });
    }
  }

  /**
   * Labels of a request. `contentType` matters for PATCH only (server-side apply is APPLY);
   * `code` for paths only: the path of a 401 or 404 answer is not a label (anyone can make
   * those up), it is left empty.
   */
  labels(info: RequestInfo, method: string, contentType: string | undefined, code?: number): RequestLabels {
    if (!info.isResourceRequest) {
      const known = code !== 401 && code !== 404;
      return { verb: method, group: '', version: '', resource: '', subresource: known ? info.path : '', scope: '', component: this.component };
    }
    const served = this.#served.get(`${info.apiGroup}/${info.apiVersion}/${info.resource}`);
    let verb = RESOURCE_VERBS[info.verb] ?? method;
    if (served?.connecters.has(info.subresource)) verb = 'CONNECT';
    else if (verb === 'PATCH' && contentType === APPLY_PATCH) verb = 'APPLY';
    const named = info.parts.length > 1;
    const scope = named || verb === 'POST' ? 'resource' : info.namespace ? 'namespace' : 'cluster';
    if (!served) return { verb, group: '', version: '', resource: '', subresource: '', scope, component: this.component };
    return {
      verb, group: info.apiGroup, version: info.apiVersion, resource: info.resource,
      subresource: served.subresources.has(info.subresource) ? info.subresource : '', scope, component: this.component,
    };
  }
}
