// Everything a Redis holds, as comparable text: each key's type, whether it expires, and its
// DUMP (the serialized value), so that "nothing changed" can be asserted exactly.
import { Redis } from 'ioredis';

/** key → `<type> <expires|persistent> <hex of DUMP>`. */
export type RedisSnapshot = Map<string, string>;

/** SCANs every key of `url` (db 0) and DUMPs it. */
export async function snapshotRedis(url: string): Promise<RedisSnapshot> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    const snap: RedisSnapshot = new Map();
    for (const key of keys.sort()) {
      const [type, ttl, dump] = await Promise.all([redis.type(key), redis.pttl(key), redis.dumpBuffer(key)]);
      if (dump === null) continue;
      snap.set(key, `${type} ${ttl >= 0 ? 'expires' : 'persistent'} ${dump.toString('hex')}`);
    }
    return snap;
  } finally {
    redis.disconnect();
  }
}

/** The keys added, removed and changed from `before` to `after`, one line each. */
export function diffSnapshots(before: RedisSnapshot, after: RedisSnapshot): string[] {
  const out: string[] = [];
  for (const [key, value] of after) {
    if (!before.has(key)) out.push(`added ${key} (${value.split(' ')[0] ?? ''})`);
    else if (before.get(key) !== value) out.push(`changed ${key}`);
  }
  for (const key of before.keys()) if (!after.has(key)) out.push(`removed ${key}`);
  return out;
}

/**
 * Waits until no key of `url` expires within `withinMs` (e.g. BullMQ's `<queue>:stalled-check`,
 * which a stopped worker leaves behind with a 1 s expiry), so that a snapshot taken afterwards
 * cannot change on its own.
 */
export async function waitForShortLivedKeys(url: string, withinMs = 10_000, timeoutMs = 15_000): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const keys = await redis.keys('*');
      const ttls = await Promise.all(keys.map((k) => redis.pttl(k)));
      const soon = keys.filter((_, i) => (ttls[i] ?? -1) >= 0 && (ttls[i] ?? -1) <= withinMs);
      if (soon.length === 0) return;
      if (Date.now() > deadline) throw new Error(`keys still about to expire: ${soon.join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    redis.disconnect();
  }
}
