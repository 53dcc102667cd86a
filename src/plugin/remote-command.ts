// exec/attach over a websocket speaking v5.channel.k8s.io, as client-go's
// tools/remotecommand websocket executor does: binary frames whose first byte is the channel
// (0 stdin, 1 stdout, 2 stderr, 3 Status JSON, 4 resize JSON, 255 close).
import type { Writable } from 'node:stream';
import WebSocket from 'ws';
import type { Status } from '../apiserver/types.js';
import type { ApiClient } from './client.js';
import { readBody } from './client.js';
import { connectionError } from './connection-error.js';
import { ExitError } from './format-error.js';
import { runPath } from './resource.js';
import { statusErrorFrom } from './status-error.js';

/** The only subprotocol offered, like kubectl ≥ 1.30 (v5 can half-close stdin). */
export const STREAM_PROTOCOL_V5 = 'v5.channel.k8s.io';

/** The first byte of each frame: which stream it carries (k8s.io/apimachinery remotecommand). */
export const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

const PING_INTERVAL_MS = 5000;

/** A terminal's size, as the resize channel carries it (Go's TerminalSize). */
export interface TerminalSize {
  Width: number;
  Height: number;
}

/** Where terminal sizes come from: the current one, and a subscription to changes. */
export interface TerminalSizeSource {
  current(): TerminalSize | undefined;
  /** Calls `listener` on each change; returns the unsubscribe function. */
  onResize(listener: (size: TerminalSize) => void): () => void;
}

/** One exec or attach session. */
export interface RemoteCommandOptions {
  subresource: 'exec' | 'attach';
  /** exec only: argv of the command. */
  command?: readonly string[];
  /** Sent on channel 0 when given; its end half-closes stdin (`[255, 0]`). */
  stdin?: NodeJS.ReadableStream;
  stdout: Writable;
  stderr: Writable;
  tty: boolean;
  /** With `tty`: the size sent at the start and on every resize. */
  sizes?: TerminalSizeSource;
}

/** The query kubectl sends: `command` per argv element, and only the true flags. */
export function remoteCommandQuery(opts: Pick<RemoteCommandOptions, 'command' | 'stdin' | 'tty'>): URLSearchParams {
  const q = new URLSearchParams();
  for (const arg of opts.command ?? []) q.append('command', arg);
  if (opts.stdin) q.set('stdin', 'true');
  q.set('stdout', 'true');
  if (!opts.tty) q.set('stderr', 'true');
  if (opts.tty) q.set('tty', 'true');
  return q;
}

function frame(channel: number, payload: Buffer | string): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat([Buffer.from([channel]), data]);
}

/**
 * The error a session's final Status stands for, decided as client-go's errorDecoderV4 and
 * kubectl's CheckErr do: none for Success (or no Status); `command terminated with exit code N`
 * with exit code N for NonZeroExitCode; the Status message with exit code 1 otherwise.
 */
export function statusToExitError(status: Status | undefined): ExitError | undefined {
  if (!status || status.status === 'Success') return undefined;
  const protocol = (what: string): ExitError => new ExitError(`error: error stream protocol error: ${what}`, 1);
  if (status.status !== 'Failure') return protocol('unknown error');
  if (status.reason !== 'NonZeroExitCode') return new ExitError(`error: ${status.message ?? 'unknown error'}`, 1);
  if (!status.details) return protocol('details must be set');
  const cause = status.details.causes?.find((c) => c.reason === 'ExitCode');
  if (!cause) return protocol('no ExitCode cause given');
  const code = Number(cause.message);
  if (!/^[0-9]+$/.test(cause.message ?? '') || code > 255) return protocol(`invalid exit code value ${JSON.stringify(cause.message)}`);
  return new ExitError(`command terminated with exit code ${code}`, code);
}

/** Pumps `input` into channel 0 with back-pressure; its end sends `[255, 0]`. */
function pumpStdin(ws: WebSocket, input: NodeJS.ReadableStream): () => void {
  const onData = (chunk: Buffer | string): void => {
    input.pause();
    ws.send(frame(Channel.stdin, chunk), () => input.resume());
  };
  const onEnd = (): void => ws.send(Buffer.from([Channel.close, Channel.stdin]));
  input.on('data', onData);
  input.once('end', onEnd);
  input.resume();
  return () => {
    input.off('data', onData);
    input.off('end', onEnd);
    input.pause();
  };
}

/** Copies stdout/stderr frames out (pausing the socket while a writable is full); collects channel 3. */
function demux(ws: WebSocket, opts: RemoteCommandOptions, status: Buffer[]): void {
  ws.on('message', (data: Buffer) => {
    if (data.length < 2) return;
    const payload = data.subarray(1);
    if (data[0] === Channel.error) {
      status.push(payload);
      return;
    }
    const out = data[0] === Channel.stdout ? opts.stdout : data[0] === Channel.stderr ? opts.stderr : undefined;
    if (out && !out.write(payload)) {
      ws.pause();
      out.once('drain', () => ws.resume());
    }
  });
}

/** Starts the client side once the websocket is open: the first size, resizes, stdin, pings. */
function start(ws: WebSocket, opts: RemoteCommandOptions): (() => void)[] {
  const cleanups: (() => void)[] = [];
  if (opts.tty && opts.sizes) {
    const sendSize = (size: TerminalSize): void => ws.send(frame(Channel.resize, JSON.stringify(size)));
    const first = opts.sizes.current();
    if (first) sendSize(first);
    cleanups.push(opts.sizes.onResize(sendSize));
  }
  if (opts.stdin) cleanups.push(pumpStdin(ws, opts.stdin));
  const ping = setInterval(() => ws.ping(), PING_INTERVAL_MS);
  cleanups.push(() => clearInterval(ping));
  return cleanups;
}

/** Resolves with the close code; rejects with the server's StatusError when it does not upgrade. */
function session(ws: WebSocket, url: URL, opts: RemoteCommandOptions, cleanups: (() => void)[]): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let refused = false;
    let open = false;
    ws.on('error', (err: NodeJS.ErrnoException) => reject(open ? err : connectionError(url, err)));
    ws.once('unexpected-response', (req, res) => {
      refused = true;
      readBody(res).then((body) => reject(statusErrorFrom(res.statusCode ?? 0, body)), reject).finally(() => req.destroy());
    });
    ws.once('open', () => {
      open = true;
      if (ws.protocol !== STREAM_PROTOCOL_V5) {
        reject(new Error(`the server did not accept the ${STREAM_PROTOCOL_V5} subprotocol (got ${JSON.stringify(ws.protocol)})`));
        ws.terminate();
        return;
      }
      cleanups.push(...start(ws, opts));
    });
    ws.once('close', (code: number) => {
      if (!refused) resolve(code);
    });
  });
}

/**
 * Runs one session until the server closes it and resolves with the Status it sent on
 * channel 3 (undefined when it sent none and closed normally). Rejects with the server's
 * StatusError when it refuses the upgrade, and with an Error when the connection breaks.
 */
export async function runRemoteCommand(client: ApiClient, namespace: string, name: string, opts: RemoteCommandOptions): Promise<Status | undefined> {
  const url = client.url(runPath(namespace, name, opts.subresource), remoteCommandQuery(opts));
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  const ws = new WebSocket(url, [STREAM_PROTOCOL_V5], await client.webSocketOptions());
  const status: Buffer[] = [];
  demux(ws, opts, status);
  const cleanups: (() => void)[] = [];
  try {
    const code = await session(ws, url, opts, cleanups);
    const text = Buffer.concat(status).toString('utf8');
    if (text) {
      try {
        return JSON.parse(text) as Status;
      } catch {
        throw new Error(`error stream protocol error: invalid Status ${JSON.stringify(text)}`);
      }
    }
    if (code !== 1000 && code !== 1005) throw new Error(`the connection closed unexpectedly (websocket close code ${code})`);
    return undefined;
  } finally {
    for (const cleanup of cleanups) cleanup();
  }
}
