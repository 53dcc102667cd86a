// A watch over the change feed: replay from a resourceVersion (or the current state first),
// then live changes, each delivered once and in order, with selector semantics (an object
// that stops matching is DELETED for this watcher, one that starts matching is ADDED).
import { newResourceExpired } from '../../apiserver/errors.js';
import { Entity } from '../../apiserver/rest.js';
import type { ListResult, WatchEvent, WatchHandle, WatchOptions, WatchSink } from '../../apiserver/rest.js';
import type { KubeObject } from '../../apiserver/types.js';
import type { ChangeFeed } from '../../queue/change-feed.js';
import type { Change, ObjectStore } from '../../queue/object-store.js';
import { callStorage } from './storage-call.js';

const REPLAY_PAGE = 1000;

// One Entity and one event per change and type, shared by every watcher in this process, so
// that each is parsed and encoded once.
const shared = new WeakMap<Change, Map<string, WatchEvent>>();

function sharedEvent(c: Change, type: WatchEvent['type']): WatchEvent {
  let byType = shared.get(c);
  if (!byType) shared.set(c, (byType = new Map()));
  let e = byType.get(type);
  if (!e) {
    const entity = byType.values().next().value?.entity ?? new Entity(c.json);
    e = { type, resourceVersion: c.resourceVersion, entity };
    byType.set(type, e);
  }
  return e;
}

export interface WatchArgs {
  store: ObjectStore;
  feed: ChangeFeed;
  namespace: string;
  opts: WatchOptions;
  sink: WatchSink;
  fields: (obj: KubeObject) => Record<string, string>;
  list: () => Promise<ListResult>;
}

export async function startWatch(a: WatchArgs): Promise<WatchHandle> {
  const { opts, sink } = a;
  const nsPrefix = a.namespace ? `${a.namespace}/` : '';
  const filtered = !opts.labelSelector.empty || !opts.fieldSelector.empty;
  const matches = (labels: Record<string, string> | undefined, fields: Record<string, string>): boolean =>
    opts.labelSelector.matches(labels) && opts.fieldSelector.matches(fields);
  let delivered = 0n;
  let live = false;
  let stopped = false;
  let buffered: Change[][] = [];

  const translate = (c: Change): WatchEvent | undefined => {
    if (nsPrefix && !c.member.startsWith(nsPrefix)) return undefined;
    if (!filtered) return sharedEvent(c, c.type);
    const obj = sharedEvent(c, c.type).entity?.object ?? {};
    const now = c.type !== 'DELETED' && matches(obj.metadata?.labels, a.fields(obj));
    let before = false;
    if (c.type !== 'ADDED' && c.previous) {
      const p = JSON.parse(c.previous) as { l: Record<string, string>; f: Record<string, string> };
      before = matches(p.l, p.f);
    }
    if (now && before) return sharedEvent(c, 'MODIFIED');
    if (now) return sharedEvent(c, 'ADDED');
    if (before) return sharedEvent(c, 'DELETED');
    return undefined;
  };
  const deliver = (changes: Change[]): void => {
    for (const c of changes) {
      const rv = BigInt(c.resourceVersion);
      if (rv <= delivered || stopped) continue;
      delivered = rv;
      const e = translate(c);
      if (e) sink.event(e);
    }
  };
  const unsubscribe = a.feed.subscribe((changes) => {
    if (live) deliver(changes);
    else buffered.push(changes);
  });
  // What this watcher was sent may not have happened: it ends with 410 and its client relists.
  const unsubscribeReset = a.feed.subscribeReset((reason) => {
    if (stopped) return;
    handle.stop();
    sink.error(newResourceExpired(`the watch must start over from a new list: ${reason}`));
  });
  const handle: WatchHandle = {
    stop: () => {
      stopped = true;
      unsubscribe();
      unsubscribeReset();
    },
    progress: () => {
      const feedRv = BigInt(a.feed.lastResourceVersion);
      return String(live && feedRv > delivered ? feedRv : delivered);
    },
  };
  try {
    const rv = opts.resourceVersion;
    if (!rv || rv === '0' || opts.sendInitialEvents) {
      const snap = await a.list();
      for (const item of snap.items) {
        sink.event({ type: 'ADDED', resourceVersion: item.object.metadata?.resourceVersion ?? snap.resourceVersion, entity: item });
      }
      delivered = BigInt(snap.resourceVersion);
      if (opts.sendInitialEvents) sink.event({ type: 'BOOKMARK', resourceVersion: snap.resourceVersion, initialEventsEnd: true });
    } else {
      delivered = BigInt(rv);
      for (;;) {
        const { changes, expired } = await callStorage(a.store.redis, () => a.store.changesAfter(String(delivered), REPLAY_PAGE));
        if (expired) {
          const oldest = await callStorage(a.store.redis, () => a.store.redis.xrange(a.store.keys.changes, '-', '+', 'COUNT', 1));
          const first = oldest[0]?.[0]?.split('-')[0] ?? String(delivered);
          handle.stop();
          sink.error(newResourceExpired(`too old resource version: ${rv} (${first})`));
          return handle;
        }
        deliver(changes);
        if (changes.length < REPLAY_PAGE) break;
      }
    }
  } catch (err) {
    handle.stop();
    throw err;
  }
  for (const b of buffered) deliver(b);
  buffered = [];
  live = true;
  return handle;
}
