// Authorization: may this user do this? (k8s.io/apiserver pkg/authorization.) Authorizers are
// asked in order; the first to allow or deny decides. When none has an opinion the request is
// refused with kube-apiserver's 403 message (and the reasons given), or 500 when one could not
// answer. Short-circuits that never need a backend: the privileged groups, the always-allowed
// paths and, when there is no SubjectAccessReview backend, discovery for authenticated users.
import { goQuote } from '../go-format.js';
import { newForbidden, newInternalError, type StatusError } from '../errors.js';
import type { RequestInfo } from '../request-info.js';
import type { UserInfo } from '../types.js';
import { PathMatcher } from './paths.js';

/** Decides whether a request may go on; the server's filter chain and the websocket upgrade call it. */
export interface Authorizer {
  /** Resolves when allowed; rejects with a 403 StatusError (500 when no answer could be had). */
  authorize(user: UserInfo, info: RequestInfo): Promise<void>;
}

export type Decision = 'allow' | 'deny' | 'no-opinion';

/** An authorizer's answer and why. */
export interface DecisionResult {
  decision: Decision;
  reason: string;
}

/** One authorization source (Go's `authorizer.Authorizer`): rejects when it cannot answer. */
export interface DecisionAuthorizer {
  decide(user: UserInfo, info: RequestInfo): Promise<DecisionResult>;
}

export const NO_OPINION: DecisionResult = { decision: 'no-opinion', reason: '' };
export const ALLOW: DecisionResult = { decision: 'allow', reason: '' };

/** kube-apiserver's `forbiddenMessage` (responsewriters/errors.go), Go-quoted. */
export function forbiddenMessage(user: UserInfo, info: RequestInfo): string {
  const who = `User ${goQuote(user.name)} cannot ${info.verb}`;
  if (!info.isResourceRequest) return `${who} path ${goQuote(info.path)}`;
  const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
  const where = info.namespace ? `in the namespace ${goQuote(info.namespace)}` : 'at the cluster scope';
  return `${who} resource ${goQuote(resource)} in API group ${goQuote(info.apiGroup)} ${where}`;
}

/** The 403 kube-apiserver gives for a refused request (`responsewriters.Forbidden`), the reason appended after `: `. */
export function forbidden(user: UserInfo, info: RequestInfo, reason = ''): StatusError {
  const message = reason ? `${forbiddenMessage(user, info)}: ${reason}` : forbiddenMessage(user, info);
  return newForbidden({ group: info.apiGroup, resource: info.resource }, info.name, message);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Go's union authorizer plus the WithAuthorization filter's answer. */
export class UnionAuthorizer implements Authorizer {
  constructor(readonly authorizers: readonly DecisionAuthorizer[]) {}

  async authorize(user: UserInfo, info: RequestInfo): Promise<void> {
    const errors: unknown[] = [];
    const reasons: string[] = [];
    for (const authorizer of this.authorizers) {
      let result: DecisionResult;
      try {
        result = await authorizer.decide(user, info);
      } catch (err) {
        errors.push(err);
        continue;
      }
      if (result.reason) reasons.push(result.reason);
      if (result.decision === 'allow') return;
      if (result.decision === 'deny') throw forbidden(user, info, result.reason);
    }
    if (errors.length === 1) throw newInternalError(errorText(errors[0]));
    if (errors.length > 1) throw newInternalError(`[${errors.map(errorText).join(', ')}]`);
    throw forbidden(user, info, reasons.join('\n'));
  }
}

/** Members of these groups may do anything (`system:masters`, as in kube-apiserver). */
export class PrivilegedGroups implements DecisionAuthorizer {
  constructor(readonly groups: readonly string[]) {}

  decide(user: UserInfo): Promise<DecisionResult> {
    return Promise.resolve(user.groups.some((g) => this.groups.includes(g)) ? ALLOW : NO_OPINION);
  }
}

/** Non-resource requests to these paths are allowed for anyone (`--authorization-always-allow-paths`). */
export class PathAuthorizer implements DecisionAuthorizer {
  constructor(readonly paths: PathMatcher) {}

  decide(_user: UserInfo, info: RequestInfo): Promise<DecisionResult> {
    return Promise.resolve(!info.isResourceRequest && this.paths.matches(info.path) ? ALLOW : NO_OPINION);
  }
}

/** The non-resource URLs of the bootstrap ClusterRole `system:discovery`. */
export const DISCOVERY_PATHS = ['/api', '/api/*', '/apis', '/apis/*', '/openapi', '/openapi/*', '/healthz', '/livez', '/readyz', '/version', '/version/'];

/**
 * What the bootstrap RBAC role `system:discovery` grants `system:authenticated`: `get` on the
 * discovery, OpenAPI, health and version paths. Used when no kube-apiserver is asked.
 */
export class DiscoveryAuthorizer implements DecisionAuthorizer {
  readonly #paths = new PathMatcher(DISCOVERY_PATHS);

  decide(user: UserInfo, info: RequestInfo): Promise<DecisionResult> {
    const allowed = !info.isResourceRequest && info.verb === 'get' && user.groups.includes('system:authenticated') && this.#paths.matches(info.path);
    return Promise.resolve(allowed ? ALLOW : NO_OPINION);
  }
}
