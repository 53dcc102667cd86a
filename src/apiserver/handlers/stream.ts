// GET of a streaming subresource (responsewriters StreamObject): errors are decided before the
// first byte; then the body is written as it comes, honouring back-pressure, until the stream
// ends or the client goes away.
import { once } from 'node:events';
import type { HandlerArgs, StreamGetter } from './types.js';

export async function handleStream(a: HandlerArgs, getter: StreamGetter): Promise<void> {
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
      if (!res.write(chunk)) {
        await Promise.race([once(res, 'drain'), once(res, 'close')]);
      }
    }
  } finally {
    if (!res.writableEnded) res.end();
  }
}
