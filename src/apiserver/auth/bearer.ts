// Bearer tokens: the Authorization header (k8s.io/apiserver pkg/authentication/request/bearertoken),
// the websocket subprotocol browsers use instead (…/request/websocket), the static token table,
// and the union of token authenticators (…/token/union).
import type { IncomingMessage } from 'node:http';
import type { UserInfo } from '../types.js';
import type { RequestAuthenticator, TokenAuthenticator } from './authn.js';

/** The bearer token of `Authorization: Bearer <token>`, or undefined (Go's parsing, scheme case-insensitive). */
export function bearerToken(header: string | undefined): string | undefined {
  const auth = (header ?? '').trim();
  if (auth === '') return undefined;
  const parts = auth.split(' ');
  if (parts.length < 2 || parts[0]?.toLowerCase() !== 'bearer') return undefined;
  return parts[1] || undefined;
}

/** `Authorization: Bearer <token>`; a token no authenticator accepts is an error (`invalid bearer token`). */
export class BearerTokenAuthenticator implements RequestAuthenticator {
  constructor(readonly tokens: TokenAuthenticator) {}

  async authenticateRequest(req: IncomingMessage): Promise<UserInfo | undefined> {
    const token = bearerToken(req.headers.authorization);
    if (token === undefined) return undefined;
    const user = await this.tokens.authenticateToken(token);
    if (!user) throw new Error('invalid bearer token');
    return user;
  }
}

const PROTOCOL_PREFIX = 'base64url.bearer.authorization.k8s.io.';

/** Go's `wsstream.IsWebSocketRequest`: `Upgrade: websocket` and `Connection` naming upgrade. */
export function isWebSocketRequest(req: IncomingMessage): boolean {
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return false;
  return /(^|.*,\s*)upgrade($|\s*,)/.test((req.headers.connection ?? '').toLowerCase());
}

/**
 * A websocket upgrade whose subprotocols include `base64url.bearer.authorization.k8s.io.<token
 * in unpadded base64url>`, as browsers send it. On success that protocol is removed from the
 * request's `Sec-WebSocket-Protocol`, so it is never echoed back; another protocol must be offered.
 */
export class WebSocketProtocolAuthenticator implements RequestAuthenticator {
  constructor(readonly tokens: TokenAuthenticator) {}

  async authenticateRequest(req: IncomingMessage): Promise<UserInfo | undefined> {
    if (!isWebSocketRequest(req)) return undefined;
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const others = offered.filter((p) => !p.startsWith(PROTOCOL_PREFIX));
    const carrying = offered.filter((p) => p.startsWith(PROTOCOL_PREFIX));
    if (carrying.length === 0) return undefined;
    if (carrying.length > 1) throw new Error('multiple base64.bearer.authorization tokens specified');
    const token = decodeProtocolToken((carrying[0] ?? '').slice(PROTOCOL_PREFIX.length));
    if (token === '') return undefined;
    if (others.filter(Boolean).length === 0) throw new Error('missing additional subprotocol');
    const user = await this.tokens.authenticateToken(token);
    if (!user) throw new Error('invalid bearer token');
    req.headers['sec-websocket-protocol'] = others.join(',');
    return user;
  }
}

function decodeProtocolToken(encoded: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(encoded) || encoded.length % 4 === 1) throw new Error('invalid base64.bearer.authorization token encoding');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(encoded, 'base64url'));
  } catch {
    throw new Error('invalid base64.bearer.authorization token');
  }
}

/** A fixed table of tokens (`--token-auth-file`, the dev admin token). */
export class StaticTokenAuthenticator implements TokenAuthenticator {
  constructor(readonly tokens: ReadonlyMap<string, UserInfo>) {}

  authenticateToken(token: string): Promise<UserInfo | undefined> {
    const user = this.tokens.get(token);
    return Promise.resolve(user ? { ...user, groups: [...user.groups] } : undefined);
  }
}

/** Go's token union: the first authenticator that accepts the token decides; failures surface only if none does. */
export class UnionTokenAuthenticator implements TokenAuthenticator {
  constructor(readonly authenticators: readonly TokenAuthenticator[]) {}

  async authenticateToken(token: string): Promise<UserInfo | undefined> {
    const errors: unknown[] = [];
    for (const authenticator of this.authenticators) {
      try {
        const user = await authenticator.authenticateToken(token);
        if (user) return user;
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw errors[0];
    return undefined;
  }
}
