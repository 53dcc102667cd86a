// Authentication: who is asking (k8s.io/apiserver pkg/authentication). Authenticators are tried
// in order and the first that knows the user wins; a credential that is presented but not valid
// is 401 (no anonymous fallback); no credential makes the anonymous user, who is let in only on
// the paths every client may reach (the health endpoints by default) and refused (401) elsewhere.
import type { IncomingMessage } from 'node:http';
import { newUnauthorized } from '../errors.js';
import type { RequestInfo } from '../request-info.js';
import type { UserInfo } from '../types.js';

/** Decides who sends a request; the server's filter chain and the websocket upgrade call it. */
export interface Authenticator {
  /** Resolves with the user; rejects with a 401 StatusError. */
  authenticate(req: IncomingMessage, info: RequestInfo): Promise<UserInfo>;
}

/**
 * One way of authenticating (Go's `authenticator.Request`): resolves with the user, with
 * `undefined` when the request does not carry this kind of credential (abstain), and rejects
 * when it carries one that is not valid.
 */
export interface RequestAuthenticator {
  authenticateRequest(req: IncomingMessage): Promise<UserInfo | undefined>;
}

/**
 * A bearer token check (Go's `authenticator.Token`): resolves with the user, with `undefined`
 * for a token it does not accept, and rejects when it cannot tell.
 */
export interface TokenAuthenticator {
  authenticateToken(token: string): Promise<UserInfo | undefined>;
}

export const ANONYMOUS: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

const AUTHENTICATED = 'system:authenticated';
const UNAUTHENTICATED = 'system:unauthenticated';

/** Go's `AuthenticatedGroupAdder`: every authenticated user is in `system:authenticated`. */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.name === ANONYMOUS.name || user.groups.some((g) => g === AUTHENTICATED || g === UNAUTHENTICATED)) return user;
  return { ...user, groups: [...user.groups, AUTHENTICATED] };
}

/** Where anonymous requests go and what happens to failed credentials. */
export interface UnionAuthenticatorOptions {
  /** Whether the anonymous user may send a non-resource request to this (decoded) path. */
  anonymousAllowed: (path: string) => boolean;
  /** Told why a presented credential was refused (the client only sees 401 Unauthorized). */
  onError?: (errors: unknown[]) => void;
}

/**
 * Go's union authenticator (`unionauth.New`) with the authenticated group adder and, after it,
 * the anonymous authenticator (`unionauth.NewFailOnError`): the first authenticator that
 * returns a user decides; if none does and one failed, 401; with no credential at all, the
 * anonymous user where `anonymousAllowed`, else 401.
 */
export class UnionAuthenticator implements Authenticator {
  constructor(
    readonly authenticators: readonly RequestAuthenticator[],
    readonly options: UnionAuthenticatorOptions,
  ) {}

  async authenticate(req: IncomingMessage, info: RequestInfo): Promise<UserInfo> {
    const errors: unknown[] = [];
    for (const authenticator of this.authenticators) {
      try {
        const user = await authenticator.authenticateRequest(req);
        if (user) return withAuthenticatedGroup(user);
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) {
      this.options.onError?.(errors);
      throw newUnauthorized('Unauthorized');
    }
    if (!info.isResourceRequest && this.options.anonymousAllowed(info.path)) return ANONYMOUS;
    throw newUnauthorized('Unauthorized');
  }
}
