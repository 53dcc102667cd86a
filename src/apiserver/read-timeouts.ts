// Slow clients: a request's headers must arrive within --header-read-timeout of its first byte
// (Go's ReadHeaderTimeout), and the whole request, body included, within --body-read-timeout.
// Node's HTTP server enforces both (headersTimeout, requestTimeout); they end when the request
// has been received, so watches, log streams and websockets, which have no body to wait for,
// are never cut by them. What the client is told when a timeout strikes is decided here.
import type { IncomingMessage, ServerOptions, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { newTimeout, StatusError } from './errors.js';
import { rawStatusResponse } from './http/raw-status.js';

export interface ReadTimeouts {
  /** 0: no limit. */
  headerReadTimeoutMs: number;
  /** 0: no limit. */
  bodyReadTimeoutMs: number;
}

/** How often Node looks for requests past their timeouts: a quarter of the shorter one, 50 ms to 1 s. */
function checkingInterval(t: ReadTimeouts): number {
  const shortest = Math.min(...[t.headerReadTimeoutMs, t.bodyReadTimeoutMs].filter((ms) => ms > 0));
  return Number.isFinite(shortest) ? Math.max(50, Math.min(1000, Math.floor(shortest / 4))) : 30_000;
}

/**
 * Options for `https.createServer`. Node counts both timeouts from the request's first byte and
 * wants the headers' no longer than the whole request's, so a body timeout shorter than the
 * header timeout is raised to it.
 */
export function readTimeoutServerOptions(t: ReadTimeouts): Pick<ServerOptions, 'headersTimeout' | 'requestTimeout' | 'connectionsCheckingInterval'> {
  const headersTimeout = Math.ceil(t.headerReadTimeoutMs);
  const requestTimeout = t.bodyReadTimeoutMs > 0 ? Math.max(Math.ceil(t.bodyReadTimeoutMs), headersTimeout) : 0;
  return { headersTimeout, requestTimeout, connectionsCheckingInterval: checkingInterval(t) };
}

/** The Status sent when a request's body did not arrive in time: 408, reason Timeout. */
export function newRequestReadTimeout(): StatusError {
  return new StatusError({ ...newTimeout('the request was not received within the allotted timeout').status, code: 408 });
}

const timedOut = new WeakSet<IncomingMessage>();

/** Whether `req` was given up on by a read timeout (its body will never come). */
export function readTimedOut(req: IncomingMessage): boolean {
  return timedOut.has(req);
}

/** Bare answers for what Node's parser rejects before a request exists, as Node's own default. */
const PARSER_ERRORS: Readonly<Record<string, string>> = {
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: '413 Payload Too Large',
};

/**
 * How long a connection whose request timed out is kept reading after the 408 was sent, so that
 * a client still sending does not get a reset that destroys the answer (Go's rstAvoidanceDelay).
 */
const LINGER_MS = 500;

/**
 * The server's 'clientError' listener. A request whose headers were received but whose body is
 * late gets a 408 Status (and is marked so for {@link readTimedOut}); its connection is closed
 * after a short linger. One whose headers are late, or that does not parse, gets Node's bare
 * answer (408, 431, 413, 400) and its connection is closed at once. Nothing is written once a
 * response has started, nor to a reset connection.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // Node's own field for the response in progress on a connection: set once its headers parsed.
  const res = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined;
  const writable = err.code !== 'ECONNRESET' && socket.writable && !res?.headersSent;
  if (writable && err.code === 'ERR_HTTP_REQUEST_TIMEOUT' && res) {
    timedOut.add(res.req);
    socket.end(rawStatusResponse(newRequestReadTimeout().status));
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
    return;
  }
  if (writable) socket.write(`HTTP/1.1 ${PARSER_ERRORS[err.code ?? ''] ?? '400 Bad Request'}\r\nConnection: close\r\n\r\n`);
  socket.destroy();
}
