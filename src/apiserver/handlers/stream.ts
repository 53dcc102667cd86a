// GET of a streaming subresource (responsewriters StreamObject): errors are decided before the
// first byte; then the body is written as it comes, honouring back-pressure, until the stream
// ends or the client goes away.
import type { ServerResponse } from 'node:http';
import { newGenericNotFound } from '../errors.js';
import { assertNoExtraPath } from './read.js';
import type { HandlerArgs, StreamGetter } from './types.js';

/** Resolves when `res` drained or closed, leaving no listener behind. */
export function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export async function handleStream(a: HandlerArgs, getter: StreamGetter): Promise<void> {
  // A stream is served at R/N/S only, never under the deprecated /watch/ prefix.
  if (a.info.verb !== 'get') throw newGenericNotFound();
  assertNoExtraPath(a.info);
  const streamer = await getter.getStream(a.req, a.info.name, a.query);
  const res = a.ctx.res;
  a.ctx.respond = false;
  res.statusCode = 200;
  res.setHeader('Content-Type', streamer.contentType);
  res.setHeader('Cache-Control', 'no-cache, private');
  res.flushHeaders();
  try {
    for await (const chunk of streamer.stream) {
      if (res.destroyed || a.req.signal.aborted) break;
      if (!res.write(chunk)) await drainOrClose(res);
    }
  } finally {
    if (!res.writableEnded) res.end();
  }
}
