// The one place where a storage failure becomes a Status: Redis out of reach is a 503
// ServiceUnavailable with Retry-After (as kube-apiserver answers while etcd is away), answered at
// once while there is no connection; anything else unexpected is a 500.
import { isStatusError, newInternalError, newServiceUnavailable, type StatusError } from '../../apiserver/errors.js';
import type { RedisClient } from '../../queue/redis-client.js';
import { ensureConnected, isRedisUnavailable } from '../../queue/unavailable.js';

/** What clients are told to wait before retrying while storage is unavailable. */
export const STORAGE_RETRY_AFTER_SECONDS = 1;

/** The Status error for a failed storage operation: 503 when Redis is out of reach, else 500. */
export function storageError(err: unknown): StatusError {
  if (isStatusError(err)) return err;
  if (isRedisUnavailable(err)) {
    const reason = err instanceof Error ? err.message : String(err);
    return newServiceUnavailable(`storage is unavailable: ${reason}`, STORAGE_RETRY_AFTER_SECONDS);
  }
  return newInternalError(err);
}

/**
 * Runs a storage operation on `client`: fails fast with 503 while the client has no connection,
 * and turns what `op` throws into a Status error ({@link storageError}).
 */
export async function callStorage<T>(client: RedisClient, op: () => Promise<T>): Promise<T> {
  try {
    ensureConnected(client);
    return await op();
  } catch (err) {
    throw storageError(err);
  }
}
