// What the queue and the worker accept as a Redis connection: one server (or one found through
// Sentinel), or a Redis Cluster. Every key of a deployment shares one hash tag (keys.ts), so on a
// Cluster all of them live on the master that owns that slot; only connection handling differs.
import { Cluster, type Redis } from 'ioredis';

/** A connection to one Redis server (`Redis`, also through Sentinel) or to a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/** Options a duplicate may override; on a Cluster they apply to its connection to every node. */
export interface DuplicateOptions {
  /** ioredis' retries of a command across reconnections; null retries until the command succeeds. */
  maxRetriesPerRequest?: number | null;
  enableAutoPipelining?: boolean;
}

/** True when the client talks to a Redis Cluster. */
export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/**
 * A new connection with the same target and options as `client`, except `options`: for blocking
 * reads, subscriptions and transactions that must not share the client's connection.
 */
export function duplicateClient(client: RedisClient, options: DuplicateOptions): RedisClient {
  if (!isCluster(client)) return client.duplicate(options);
  const redisOptions = { ...client.options.redisOptions };
  if (options.maxRetriesPerRequest !== undefined) redisOptions.maxRetriesPerRequest = options.maxRetriesPerRequest;
  return client.duplicate([], {
    ...(options.enableAutoPipelining === undefined ? {} : { enableAutoPipelining: options.enableAutoPipelining }),
    redisOptions,
  });
}

/**
 * The servers that run scripts for `client`: the client itself, or every master of a Cluster (once
 * it knows them), so that a `SCRIPT LOAD` reaches whichever master owns the deployment's slot.
 */
export async function masterNodes(client: RedisClient): Promise<Redis[]> {
  if (!isCluster(client)) return [client];
  await client.ping();
  return client.nodes('master');
}
