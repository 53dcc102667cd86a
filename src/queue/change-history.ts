// Whether a resource's change stream still holds the history a reader has seen, after the reader
// lost its connection: a Redis that restarted from its AOF holds the same history, one that lost
// recent writes (AOF fsync'd every second and a crash) or came back empty does not.
import type { ResourceKeys } from './keys.js';
import { type Change, parseChange } from './object-store.js';
import type { RedisClient } from './redis-client.js';

/** The change with resourceVersion `rv`, or undefined when the stream holds none. */
export async function changeAt(client: RedisClient, keys: ResourceKeys, rv: string): Promise<Change | undefined> {
  if (rv === '0') return undefined;
  const [entry] = await client.xrange(keys.changes, `${rv}-0`, `${rv}-0`);
  return entry ? parseChange(entry[0], entry[1]) : undefined;
}

function sameChange(a: Change, b: Change): boolean {
  return a.type === b.type && a.member === b.member && a.json === b.json && a.previous === b.previous;
}

/**
 * True when the stream still holds `last` (the last change the reader delivered) as it was, so
 * that reading on after it misses nothing; a stream is append-only, so everything before it is
 * intact too. `last` undefined stands for "nothing delivered yet".
 */
export async function historyIntact(client: RedisClient, keys: ResourceKeys, last: Change | undefined): Promise<boolean> {
  if (last === undefined) return true;
  const now = await changeAt(client, keys, last.resourceVersion);
  return now !== undefined && sameChange(now, last);
}

const RAISE = `local c = tonumber(redis.call('GET', KEYS[1]) or '0')
if c < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) return ARGV[1] end
return tostring(c)`;

/**
 * Raises the resourceVersion counter to at least `rv`, so that versions handed out before a loss
 * of history are never handed out again for other changes; resolves to the counter's value.
 */
export async function raiseResourceVersion(client: RedisClient, keys: ResourceKeys, rv: string): Promise<string> {
  return String(await client.eval(RAISE, 1, keys.resourceVersion, rv));
}
