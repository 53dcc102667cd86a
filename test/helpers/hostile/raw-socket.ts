// Garbage below HTTP: malformed request lines and headers over TLS, plaintext and random bytes
// on the TLS port, and garbage TLS records after a completed handshake.
import net from 'node:net';
import tls from 'node:tls';
import type { ApiTarget } from '../runs.js';
import type { Prng } from './prng.js';

/** How the server reacted: the first line it answered, if any, and whether it closed. */
export interface RawOutcome {
  /** e.g. `HTTP/1.1 400 Bad Request`; empty when nothing came back. */
  statusLine: string;
  /** Whether the server closed the connection before the timeout. */
  closed: boolean;
}

/** One raw exchange and what is acceptable as its answer. */
export interface RawCase {
  what: string;
  /** `tls`: sent as the plaintext of a TLS connection; `tcp`: bytes on the TLS port; `tls-garbage`: a handshake, then raw bytes under it. */
  transport: 'tls' | 'tcp' | 'tls-garbage';
  payload: Buffer;
  /** A 4xx status line is required (otherwise closing without an answer is acceptable too). */
  answer: boolean;
}

function portOf(target: ApiTarget): number {
  return Number(new URL(target.url).port);
}

function collect(socket: net.Socket, timeoutMs: number): Promise<RawOutcome> {
  return new Promise((resolve) => {
    let text = '';
    const finish = (closed: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ statusLine: text.split('\r\n')[0] ?? '', closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => finish(true));
  });
}

/** Sends `c` and waits (at most `timeoutMs`) for the server to answer and close. */
export async function rawExchange(target: ApiTarget, c: RawCase, timeoutMs = 10_000): Promise<RawOutcome> {
  const port = portOf(target);
  if (c.transport === 'tcp') {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('connect', () => socket.write(c.payload));
    return collect(socket, timeoutMs);
  }
  if (c.transport === 'tls') {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: target.ca, servername: 'localhost' });
    socket.on('secureConnect', () => socket.write(c.payload));
    return collect(socket, timeoutMs);
  }
  const raw = net.connect(port, '127.0.0.1');
  const secure = tls.connect({ socket: raw, ca: target.ca, servername: 'localhost' });
  secure.on('error', () => undefined);
  secure.on('secureConnect', () => raw.write(c.payload));
  return collect(raw, timeoutMs);
}

/**
 * Whether `o` is an acceptable answer to `c`: over TLS a 4xx status line (or, where allowed, a
 * close without one); below TLS a close (after a TLS alert or nothing).
 */
export function rawProblem(c: RawCase, o: RawOutcome): string | undefined {
  if (!o.closed) return `the server neither answered nor closed (got ${JSON.stringify(o.statusLine)})`;
  if (c.transport !== 'tls') return undefined;
  if (o.statusLine === '') return c.answer ? 'closed without an answer' : undefined;
  return /^HTTP\/1\.1 4\d\d /.test(o.statusLine) ? undefined : `answered ${JSON.stringify(o.statusLine)}`;
}

const B = (s: string): Buffer => Buffer.from(s, 'latin1');
const P = '/apis/kubeactions.dev/v1alpha1/namespaces/hostile/workflowruns';

/** Malformed HTTP over TLS, non-TLS bytes on the TLS port, and garbage after a TLS handshake. */
export function rawCases(rng: Prng): RawCase[] {
  const http: [string, string][] = [
    ['garbage request line', 'GARBAGE\r\n\r\n'], ['method only', 'GET\r\n\r\n'], ['unknown HTTP version', 'GET / HTTP/9.9\r\nHost: x\r\n\r\n'],
    ['space in the path', `GET ${P}/a b HTTP/1.1\r\nHost: x\r\n\r\n`], ['header without a colon', `GET ${P} HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n`],
    ['NUL in a header value', `GET ${P} HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n`], ['header over 16 KiB', `GET ${P} HTTP/1.1\r\nHost: x\r\nX-A: ${'a'.repeat(20_000)}\r\n\r\n`],
    ['1 MB name in the URL', `GET ${P}/${'n'.repeat(1 << 20)} HTTP/1.1\r\nHost: x\r\n\r\n`], ['negative Content-Length', `POST ${P} HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n`],
    ['Content-Length not a number', `POST ${P} HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n`],
    ['two different Content-Lengths', `POST ${P} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`],
    ['Content-Length and chunked', `POST ${P} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
    ['bad chunk size', `POST ${P} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`],
    ['HTTP/2 preface over HTTP/1.1', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'], ['raw bytes in the path', `GET ${P}/\u00ff\u00fe HTTP/1.1\r\nHost: x\r\n\r\n`],
    ['CR without LF', `GET ${P} HTTP/1.1\rHost: x\r\r`], ['obsolete line folding', `GET ${P} HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n`],
    ['invalid header name', `GET ${P} HTTP/1.1\r\nHost: x\r\nX(A): b\r\n\r\n`], ['request line of spaces', '   \r\n\r\n'],
    ['an unknown method', `FOO ${P} HTTP/1.1\r\nHost: x\r\n\r\n`],
  ];
  const cases: RawCase[] = http.map(([what, text]) => ({ what, transport: 'tls', payload: B(text), answer: true }));
  cases.push({ what: 'random bytes over TLS', transport: 'tls', payload: rng.bytes(4096), answer: false });
  cases.push({ what: 'plaintext HTTP on the TLS port', transport: 'tcp', payload: B(`GET ${P} HTTP/1.1\r\nHost: x\r\n\r\n`), answer: false });
  cases.push({ what: 'random bytes on the TLS port', transport: 'tcp', payload: rng.bytes(2048), answer: false });
  cases.push({ what: 'a TLS record header with a garbage ClientHello', transport: 'tcp', payload: Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]), rng.bytes(512)]), answer: false });
  cases.push({ what: 'garbage TLS records after the handshake', transport: 'tls-garbage', payload: Buffer.concat([Buffer.from([0x17, 0x03, 0x03, 0x00, 0x40]), rng.bytes(64)]), answer: false });
  cases.push({ what: 'random bytes after the handshake', transport: 'tls-garbage', payload: rng.bytes(1024), answer: false });
  return cases;
}
