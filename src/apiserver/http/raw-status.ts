// A Status as a whole HTTP/1.1 answer, for sockets that koa does not own: refused websocket
// upgrades and requests that Node's HTTP parser gave up on (read timeouts).
import { STATUS_CODES } from 'node:http';
import type { Status } from '../types.js';

/** The status line, headers (Retry-After when the Status asks for a delay) and JSON body; the connection closes after it. */
export function rawStatusResponse(status: Status): string {
  const body = JSON.stringify(status);
  const retry = status.details?.retryAfterSeconds ? `Retry-After: ${status.details.retryAfterSeconds}\r\n` : '';
  return `HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? ''}\r\nContent-Type: application/json\r\n${retry}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}
