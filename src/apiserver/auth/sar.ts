// Delegated authorization: kube-apiserver decides through a SubjectAccessReview
// (k8s.io/apiserver plugin/pkg/authorizer/webhook). Answers are cached by the review's spec,
// allowed and refused answers each for their own time; failures are not cached.
import type { RequestInfo } from '../request-info.js';
import type { UserInfo } from '../types.js';
import type { DecisionAuthorizer, DecisionResult } from './authz.js';
import type { KubeApiClient } from './kube-client.js';
import { TTLCache } from './ttl-cache.js';

/** authorization.k8s.io/v1 ResourceAttributes (empty fields left out, as Go's omitempty does). */
export interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

/** authorization.k8s.io/v1 SubjectAccessReviewSpec, fields in Go's order. */
export interface SubjectAccessReviewSpec {
  resourceAttributes?: ResourceAttributes;
  nonResourceAttributes?: { path?: string; verb?: string };
  user?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
  uid?: string;
}

interface SubjectAccessReviewStatus {
  allowed?: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

/** Copies the non-empty string fields of `fields`, in order. */
function omitEmpty<T extends Record<string, string>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== '')) as Partial<T>;
}

/** The spec kube-apiserver's webhook authorizer sends for this user and request. */
export function subjectAccessReviewSpec(user: UserInfo, info: RequestInfo): SubjectAccessReviewSpec {
  const spec: SubjectAccessReviewSpec = info.isResourceRequest
    ? {
      resourceAttributes: omitEmpty({
        namespace: info.namespace, verb: info.verb, group: info.apiGroup, version: info.apiVersion,
        resource: info.resource, subresource: info.subresource, name: info.name,
      }),
    }
    : { nonResourceAttributes: omitEmpty({ path: info.path, verb: info.verb }) };
  if (user.name) spec.user = user.name;
  if (user.groups.length > 0) spec.groups = [...user.groups];
  if (user.extra && Object.keys(user.extra).length > 0) spec.extra = user.extra;
  if (user.uid) spec.uid = user.uid;
  return spec;
}

/** How long answers are kept (`--authorization-webhook-cache-authorized-ttl` / `-unauthorized-ttl`). */
export interface SubjectAccessReviewOptions {
  allowTTLMs: number;
  denyTTLMs: number;
}

/** Asks kube-apiserver (POST authorization.k8s.io/v1 subjectaccessreviews). */
export class SubjectAccessReviewAuthorizer implements DecisionAuthorizer {
  readonly #cache = new TTLCache<DecisionResult>(8192);

  constructor(
    readonly client: KubeApiClient,
    readonly options: SubjectAccessReviewOptions,
  ) {}

  decide(user: UserInfo, info: RequestInfo): Promise<DecisionResult> {
    const spec = subjectAccessReviewSpec(user, info);
    return this.#cache.getOrLoad(JSON.stringify(spec), async () => {
      const review = await this.client.post<{ status?: SubjectAccessReviewStatus }>(
        '/apis/authorization.k8s.io/v1/subjectaccessreviews',
        { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec },
      );
      const status = review.status ?? {};
      if (status.allowed && status.denied) throw new Error('webhook subject access review returned both allow and deny response');
      const reason = status.reason ?? '';
      const value: DecisionResult = status.denied ? { decision: 'deny', reason }
        : status.allowed ? { decision: 'allow', reason } : { decision: 'no-opinion', reason };
      return { value, ttlMs: status.allowed ? this.options.allowTTLMs : this.options.denyTTLMs };
    });
  }
}
