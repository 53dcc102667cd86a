// The channel protocol of exec/attach over websocket, as the kubelet and kube-apiserver speak it
// (k8s.io/apimachinery pkg/util/remotecommand, pkg/util/httpstream/wsstream): a first byte
// names the stream (0 stdin, 1 stdout, 2 stderr, 3 error/Status, 4 resize, 255 close in v5);
// base64 protocols send text frames whose first character is '0' + the stream.
import type { WebSocket } from 'ws';
import type { Status } from '../types.js';

/** Supported subprotocols, the newest first. */
export const CHANNEL_PROTOCOLS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v4.base64.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
  'base64.channel.k8s.io',
] as const;
export type ChannelProtocol = (typeof CHANNEL_PROTOCOLS)[number];

/** The first protocol the client offers that we speak (wsstream handshake order), never a token. */
export function chooseProtocol(offered: Iterable<string>): ChannelProtocol | undefined {
  for (const p of offered) {
    if ((CHANNEL_PROTOCOLS as readonly string[]).includes(p)) return p as ChannelProtocol;
  }
  return undefined;
}

export const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

export interface TerminalSize {
  width: number;
  height: number;
}

/** Everything a connecter needs from an upgraded exec/attach connection. */
export interface StreamSession {
  readonly tty: boolean;
  onStdin(cb: (data: Buffer) => void): void;
  onStdinEnd(cb: () => void): void;
  onResize(cb: (size: TerminalSize) => void): void;
  /** The client went away (or the session was closed). */
  onClose(cb: () => void): void;
  stdout(data: Buffer): void;
  stderr(data: Buffer): void;
  /**
   * Sends a frame whose first byte is already its channel (1 stdout, 2 stderr), without a
   * copy where the protocol allows.
   */
  frame(data: Buffer): void;
  /** Bytes queued for the client but not sent yet (slow client). */
  readonly buffered: number;
  /** Sends the final Status (v4/v5; its message for older protocols) and closes. */
  finish(status: Omit<Status, 'kind' | 'apiVersion'> | { status: 'Success'; metadata: object }): void;
}

/**
 * Resize messages are JSON objects (client-go sends `{"Width":80,"Height":24}`, client-node
 * `{"height":24,"width":80}`), possibly several per frame or one split across frames.
 */
export class ResizeDecoder {
  #buf = '';
  push(text: string): TerminalSize[] {
    this.#buf += text;
    const out: TerminalSize[] = [];
    for (;;) {
      const start = this.#buf.indexOf('{');
      const end = this.#buf.indexOf('}', start);
      if (start < 0 || end < 0) break;
      const raw = this.#buf.slice(start, end + 1);
      this.#buf = this.#buf.slice(end + 1);
      try {
        const o = JSON.parse(raw) as Record<string, unknown>;
        const get = (k: string): number => Number(Object.entries(o).find(([key]) => key.toLowerCase() === k)?.[1] ?? 0);
        const size = { width: get('width'), height: get('height') };
        if (Number.isInteger(size.width) && Number.isInteger(size.height) && size.width > 0 && size.height > 0) out.push(size);
      } catch {
        // not a size: ignored, as the apiserver's decoder gives up on the stream
      }
    }
    if (this.#buf.length > 4096) this.#buf = '';
    return out;
  }
}

export class WebSocketSession implements StreamSession {
  readonly #ws: WebSocket;
  readonly #base64: boolean;
  readonly #version: number;
  readonly #resize = new ResizeDecoder();
  readonly #stdin: ((d: Buffer) => void)[] = [];
  readonly #stdinEnd: (() => void)[] = [];
  readonly #resizeCbs: ((s: TerminalSize) => void)[] = [];
  readonly #close: (() => void)[] = [];
  #finished = false;

  constructor(ws: WebSocket, protocol: ChannelProtocol, readonly tty: boolean, first: 'stdout' | 'stderr' | 'error') {
    this.#ws = ws;
    this.#base64 = protocol.includes('base64');
    this.#version = protocol.startsWith('v5') ? 5 : protocol.startsWith('v4') ? 4 : protocol.startsWith('v3') ? 3 : 2;
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#receive(data, isBinary));
    ws.on('close', () => {
      this.#finished = true;
      for (const cb of this.#close) cb();
    });
    ws.on('error', () => ws.terminate());
    this.#send(Channel[first], Buffer.alloc(0));
  }

  #receive(data: Buffer, isBinary: boolean): void {
    let channel: number;
    let payload: Buffer;
    if (this.#base64 && !isBinary) {
      const text = data.toString('latin1');
      channel = text.charCodeAt(0) - 48;
      payload = Buffer.from(text.slice(1), 'base64');
    } else {
      if (data.length === 0) return;
      channel = data[0] ?? -1;
      payload = data.subarray(1);
    }
    if (channel === Channel.stdin) {
      for (const cb of this.#stdin) cb(payload);
    } else if (channel === Channel.resize && this.#version >= 3) {
      for (const size of this.#resize.push(payload.toString('utf8'))) for (const cb of this.#resizeCbs) cb(size);
    } else if (channel === Channel.close && this.#version >= 5 && payload[0] === Channel.stdin) {
      for (const cb of this.#stdinEnd) cb();
    }
  }

  #send(channel: number, data: Buffer): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    if (this.#base64) this.#ws.send(String.fromCharCode(48 + channel) + data.toString('base64'));
    else this.#ws.send(Buffer.concat([Buffer.from([channel]), data]));
  }

  onStdin(cb: (data: Buffer) => void): void {
    this.#stdin.push(cb);
  }
  onStdinEnd(cb: () => void): void {
    this.#stdinEnd.push(cb);
  }
  onResize(cb: (size: TerminalSize) => void): void {
    this.#resizeCbs.push(cb);
  }
  onClose(cb: () => void): void {
    if (this.#finished && this.#ws.readyState !== this.#ws.OPEN) cb();
    else this.#close.push(cb);
  }
  stdout(data: Buffer): void {
    this.#send(Channel.stdout, data);
  }
  stderr(data: Buffer): void {
    this.#send(this.tty ? Channel.stdout : Channel.stderr, data);
  }
  frame(data: Buffer): void {
    const channel = data[0] ?? Channel.stdout;
    if (this.#base64 || (this.tty && channel === Channel.stderr)) this.#send(this.tty ? Channel.stdout : channel, data.subarray(1));
    else if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(data);
  }
  get buffered(): number {
    return this.#ws.bufferedAmount;
  }

  finish(status: Parameters<StreamSession['finish']>[0]): void {
    if (this.#finished) return;
    this.#finished = true;
    const failed = status.status === 'Failure';
    // v4/v5 always send the Status; older protocols send only an error's text (kubelet v1WriteStatusFunc).
    if (this.#version >= 4) this.#send(Channel.error, Buffer.from(JSON.stringify(status)));
    else if (failed) this.#send(Channel.error, Buffer.from('message' in status ? status.message ?? '' : ''));
    this.#ws.close(1000);
  }
}
