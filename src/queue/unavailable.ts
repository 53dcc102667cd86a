// Telling "Redis cannot be reached right now" apart from every other failure, so that callers can
// answer 503 and retry instead of reporting an internal error: the connection is down, a command
// ran out of reconnection attempts, or the server is not serving yet (loading its AOF, no master).
import type { RedisClient } from './redis-client.js';

/** A Redis operation was not attempted, or not answered, because Redis cannot be reached. */
export class RedisUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisUnavailableError';
  }
}

const CONNECTION_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTCONN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED',
]);

const CONNECTION_ERROR_NAMES: ReadonlySet<string> = new Set([
  'RedisUnavailableError', 'MaxRetriesPerRequestError', 'ClusterAllFailedError',
]);

/** ioredis' own texts for a command that met no connection, and Redis' replies while it cannot serve. */
const CONNECTION_MESSAGES =
  /^(Connection is closed\.|Command aborted due to connection close|Stream isn't writeable|Cluster isn't ready|None of startup nodes is available|(LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN)\b)/;

/**
 * True when `err` means that Redis could not be reached (now), as opposed to an answer from it:
 * connection refused, reset or closed, retries exhausted, a command aborted by a disconnection,
 * or a server that is still loading its data set or has no master.
 */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (CONNECTION_ERROR_NAMES.has(err.name)) return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return CONNECTION_MESSAGES.test(err.message);
}

/**
 * Throws {@link RedisUnavailableError} at once when `client` has no ready connection, so that a
 * request fails fast instead of waiting in ioredis' offline queue for reconnection attempts.
 */
export function ensureConnected(client: RedisClient): void {
  if (client.status !== 'ready') throw new RedisUnavailableError(`no connection to Redis (${client.status})`);
}
