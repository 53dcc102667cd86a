// The Redis connection of a process.
import { Redis } from 'ioredis';

/**
 * The shared connection of a process. Auto-pipelining sends the commands of concurrent
 * requests in one write; blocking readers use duplicates without it.
 */
export function connectRedis(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 2, enableAutoPipelining: true });
  redis.on('error', () => undefined);
  return redis;
}
