// Authentication: who is asking. Presented but invalid credentials are 401; no credentials
// make the anonymous user, who is refused (401) everywhere but the health endpoints.
import type { IncomingMessage } from 'node:http';
import { newUnauthorized } from '../errors.js';
import type { RequestInfo } from '../request-info.js';
import type { UserInfo } from '../types.js';

export interface Authenticator {
  authenticate(req: IncomingMessage, info: RequestInfo): Promise<UserInfo>;
}

export const ANONYMOUS: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

/** Paths anyone may reach (kubelet probes). */
export const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz']);

export function isPublicPath(path: string): boolean {
  return PUBLIC_PATHS.has(path) || [...PUBLIC_PATHS].some((p) => path.startsWith(`${p}/`));
}

/** Bearer tokens from a fixed table (the dev admin token, a token file). */
export class TokenAuthenticator implements Authenticator {
  constructor(readonly tokens: ReadonlyMap<string, UserInfo>) {}

  authenticate(req: IncomingMessage, info: RequestInfo): Promise<UserInfo> {
    const header = req.headers.authorization;
    if (header) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const user = m?.[1] ? this.tokens.get(m[1]) : undefined;
      if (!user) return Promise.reject(newUnauthorized('Unauthorized'));
      const groups = user.groups.includes('system:authenticated') ? user.groups : [...user.groups, 'system:authenticated'];
      return Promise.resolve({ ...user, groups });
    }
    if (isPublicPath(info.path)) return Promise.resolve(ANONYMOUS);
    return Promise.reject(newUnauthorized('Unauthorized'));
  }
}
