// Watch streams (pkg/endpoints/handlers/watch.go): one JSON event per line, flushed as it
// comes; each event encoded once per output form and shared by all watchers.
import { newBadRequest, newMethodNotAllowed, newMethodNotSupported, toStatus } from '../errors.js';
import { parseFieldSelector } from '../fields.js';
import { parseListOptions } from '../http/options.js';
import { negotiate, tableOf } from '../http/respond.js';
import type { OutputTarget } from '../negotiation.js';
import { groupVersion } from '../resource.js';
import { isWatcher, type WatchEvent, type WatchHandle } from '../rest.js';
import { includeObject } from './read.js';
import type { HandlerArgs } from './types.js';

const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';

function bookmarkObject(a: HandlerArgs, target: OutputTarget, rv: string, initialEventsEnd: boolean): unknown {
  const d = a.install.descriptor;
  const metadata: Record<string, unknown> = { resourceVersion: rv };
  if (initialEventsEnd) {
    const blueprint = JSON.stringify({ kind: d.listKind, apiVersion: groupVersion(d), metadata: {}, items: [] });
    metadata.annotations = {
      [INITIAL_EVENTS_END]: 'true',
      'kubernetes.io/initial-events-list-blueprint': Buffer.from(blueprint).toString('base64'),
    };
  }
  if (target.as === 'PartialObjectMetadata') return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${target.version}`, metadata };
  return { kind: d.kind, apiVersion: groupVersion(d), metadata };
}

export async function handleWatch(a: HandlerArgs): Promise<void> {
  const { storage, descriptor, table, fields } = a.install;
  if (!isWatcher(storage)) throw newMethodNotSupported({ group: descriptor.group, resource: descriptor.plural }, 'watch');
  if (a.ctx.method !== 'GET' && a.ctx.method !== 'HEAD') throw newMethodNotAllowed();
  const target = negotiate(a.ctx, ['Object', 'Table', 'PartialObjectMetadata']);
  const include = includeObject(a.query, target);
  const opts = parseListOptions(a.query, fields.fieldNames, true);
  if (a.info.name) {
    const named = opts.fieldSelector.exactValue('metadata.name');
    if (named !== undefined && named !== a.info.name) throw newBadRequest('fieldSelector metadata.name doesn\'t match requested name');
  }
  if (a.info.name && opts.fieldSelector.exactValue('metadata.name') === undefined) {
    opts.fieldSelector = parseFieldSelector(
      [opts.fieldSelector.toString(), `metadata.name=${a.info.name}`].filter(Boolean).join(','), fields.fieldNames);
  }
  const res = a.ctx.res;
  const key = target.as === 'Object' ? 'json' : `${target.as}/${'version' in target ? target.version : ''}/${include}`;
  let first = true;
  let handle: WatchHandle | undefined;
  let ended = false;
  let timeout: NodeJS.Timeout | undefined;
  let bookmarks: NodeJS.Timeout | undefined;

  const end = (): void => {
    if (ended) return;
    ended = true;
    clearTimeout(timeout);
    clearTimeout(bookmarks);
    handle?.stop();
    if (!res.writableEnded) res.end();
  };
  const write = (line: Buffer): void => {
    if (ended) return;
    res.write(line);
    if (res.writableLength > a.watch.maxBufferedBytes) end();
  };
  const encode = (e: WatchEvent): Buffer => {
    if (e.type === 'BOOKMARK' || !e.entity) {
      return Buffer.from(`${JSON.stringify({ type: 'BOOKMARK', object: bookmarkObject(a, target, e.resourceVersion, !!e.initialEventsEnd) })}\n`);
    }
    const headers = target.as === 'Table' && first;
    const cacheKey = headers ? `${key}/h` : key;
    const cache = (e.encoded ??= new Map());
    let line = cache.get(cacheKey);
    if (!line) {
      let object: string;
      if (target.as === 'Table') object = JSON.stringify(tableOf([e.entity], target.version, table, include, { resourceVersion: e.resourceVersion }, headers));
      else if (target.as === 'PartialObjectMetadata') object = JSON.stringify({ kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${target.version}`, metadata: e.entity.object.metadata ?? {} });
      else object = e.entity.raw;
      line = Buffer.from(`{"type":"${e.type}","object":${object}}\n`);
      cache.set(cacheKey, line);
    }
    first = false;
    return line;
  };

  a.ctx.respond = false;
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Cache-Control', 'no-cache, private');
  res.on('close', end);
  const sink = {
    event: (e: WatchEvent) => write(encode(e)),
    error: (err: unknown) => {
      write(Buffer.from(`${JSON.stringify({ type: 'ERROR', object: toStatus(err) })}\n`));
      end();
    },
  };
  try {
    handle = await storage.watch(a.req, { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, resourceVersion: opts.resourceVersion, sendInitialEvents: opts.sendInitialEvents === true }, sink);
  } catch (err) {
    if (!res.headersSent && !ended) {
      a.ctx.respond = true;
      throw err;
    }
    sink.error(err);
    return;
  }
  if (ended) {
    handle.stop();
    return;
  }
  a.req.signal.addEventListener('abort', end, { once: true });
  res.flushHeaders();
  const timeoutSeconds = opts.timeoutSeconds ?? a.watch.minRequestTimeoutSeconds * (1 + Math.random());
  timeout = setTimeout(end, timeoutSeconds * 1000);
  if (opts.allowWatchBookmarks) {
    const tick = (): void => {
      if (ended || !handle) return;
      write(encode({ type: 'BOOKMARK', resourceVersion: handle.progress() }));
      bookmarks = setTimeout(tick, a.watch.bookmarkIntervalMs);
    };
    bookmarks = setTimeout(tick, a.watch.bookmarkIntervalMs);
  }
}
