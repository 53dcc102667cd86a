// Authorization: may this user do this? system:masters always may (as in kube-apiserver) and
// the health endpoints are open; the rest is up to the configured policy.
import { newForbidden } from '../errors.js';
import { StatusError } from '../errors.js';
import type { RequestInfo } from '../request-info.js';
import type { UserInfo } from '../types.js';
import { isPublicPath } from './authn.js';

export interface Authorizer {
  /** Resolves when allowed; throws a 403 StatusError when not. */
  authorize(user: UserInfo, info: RequestInfo): Promise<void>;
}

/** The message kube-apiserver gives for a denied request (ForbiddenStatusError). */
export function forbidden(user: UserInfo, info: RequestInfo, reason = ''): StatusError {
  const suffix = reason ? `: ${reason}` : '';
  if (!info.isResourceRequest) {
    const err = newForbidden({ group: '', resource: '' }, '', '');
    err.status.message = `forbidden: User "${user.name}" cannot ${info.verb} path "${info.path}"${suffix}`;
    delete err.status.details;
    return new StatusError(err.status);
  }
  const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
  const where = info.namespace ? ` in the namespace "${info.namespace}"` : '';
  const gr = { group: info.apiGroup, resource: info.resource };
  return newForbidden(gr, info.name, `User "${user.name}" cannot ${info.verb} resource "${resource}" in API group "${info.apiGroup}"${where}${suffix}`);
}

export class GroupAuthorizer implements Authorizer {
  constructor(readonly allowedGroups: readonly string[] = ['system:masters']) {}

  authorize(user: UserInfo, info: RequestInfo): Promise<void> {
    if (isPublicPath(info.path) || user.groups.some((g) => this.allowedGroups.includes(g))) return Promise.resolve();
    return Promise.reject(forbidden(user, info));
  }
}
