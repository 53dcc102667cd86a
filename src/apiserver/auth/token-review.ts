// Delegated bearer token authentication: kube-apiserver checks the token through a TokenReview
// (k8s.io/apiserver plugin/pkg/authenticator/token/webhook), and the answers are cached by a
// keyed hash of the token (…/token/cache), accepted and refused alike; failures are not cached.
import { createHmac, randomBytes } from 'node:crypto';
import type { UserInfo } from '../types.js';
import type { TokenAuthenticator } from './authn.js';
import type { KubeApiClient } from './kube-client.js';
import { TTLCache } from './ttl-cache.js';

/** authentication.k8s.io/v1 TokenReviewStatus, the fields read. */
interface TokenReviewStatus {
  authenticated?: boolean;
  user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  error?: string;
}

/**
 * POST authentication.k8s.io/v1 tokenreviews. A token kube-apiserver does not accept resolves
 * `undefined`; one it refuses with an error message, or a failed call, rejects.
 */
export class TokenReviewAuthenticator implements TokenAuthenticator {
  constructor(readonly client: KubeApiClient) {}

  async authenticateToken(token: string): Promise<UserInfo | undefined> {
    const review = await this.client.post<{ status?: TokenReviewStatus }>(
      '/apis/authentication.k8s.io/v1/tokenreviews',
      { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
    );
    const status = review.status ?? {};
    if (!status.authenticated) {
      if (status.error) throw new Error(status.error);
      return undefined;
    }
    const u = status.user ?? {};
    return {
      name: u.username ?? '',
      ...(u.uid ? { uid: u.uid } : {}),
      groups: [...(u.groups ?? [])],
      ...(u.extra && Object.keys(u.extra).length > 0 ? { extra: u.extra } : {}),
    };
  }
}

/** Go's cached token authenticator: outcomes kept `ttlMs`; the token itself is never a key. */
export class CachedTokenAuthenticator implements TokenAuthenticator {
  readonly #cache = new TTLCache<{ user?: UserInfo }>(4096);
  readonly #hashKey = randomBytes(32);

  constructor(
    readonly delegate: TokenAuthenticator,
    readonly ttlMs: number,
  ) {}

  async authenticateToken(token: string): Promise<UserInfo | undefined> {
    const key = createHmac('sha256', this.#hashKey).update(token).digest('base64');
    const outcome = await this.#cache.getOrLoad(key, async () => {
      const user = await this.delegate.authenticateToken(token);
      return { value: user ? { user } : {}, ttlMs: this.ttlMs };
    });
    return outcome.user;
  }
}
