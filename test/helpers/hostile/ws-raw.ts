// A websocket client written by hand over TLS, to send frames that no websocket library would:
// unmasked, reserved opcodes and bits, fragmented control frames, bad close frames.
import { randomBytes } from 'node:crypto';
import tls from 'node:tls';
import type { ApiTarget } from '../runs.js';

/** One frame: FIN/RSV bits and opcode in `first`; the payload is masked unless `unmasked`. */
export interface RawFrame {
  first: number;
  payload: Buffer;
  unmasked?: boolean;
  /** Declares this length instead of the payload's (a lie in the header). */
  declaredLength?: bigint;
}

/** Encodes `f` as a client frame. */
export function encodeFrame(f: RawFrame): Buffer {
  const len = f.declaredLength ?? BigInt(f.payload.length);
  const mask = f.unmasked ? 0 : 0x80;
  let header: Buffer;
  if (len < 126n) header = Buffer.from([f.first, mask | Number(len)]);
  else if (len < 65536n) {
    header = Buffer.alloc(4);
    header.writeUInt8(f.first, 0);
    header.writeUInt8(mask | 126, 1);
    header.writeUInt16BE(Number(len), 2);
  } else {
    header = Buffer.alloc(10);
    header.writeUInt8(f.first, 0);
    header.writeUInt8(mask | 127, 1);
    header.writeBigUInt64BE(len, 2);
  }
  if (f.unmasked) return Buffer.concat([header, f.payload]);
  const key = randomBytes(4);
  const masked = Buffer.from(f.payload.map((b, i) => b ^ (key[i % 4] ?? 0)));
  return Buffer.concat([header, key, masked]);
}

/** What the server did after the bad frames: its close code (if it sent a close frame) and whether it closed. */
export interface RawWsOutcome {
  upgraded: boolean;
  closeCode?: number;
  closed: boolean;
}

/** Server frames in `buf` (unmasked); returns the close code of the first close frame, if any. */
function closeCodeIn(buf: Buffer): number | undefined {
  let at = 0;
  while (at + 2 <= buf.length) {
    const opcode = (buf[at] ?? 0) & 0x0f;
    let len = (buf[at + 1] ?? 0) & 0x7f;
    let start = at + 2;
    if (len === 126) {
      if (start + 2 > buf.length) return undefined;
      len = buf.readUInt16BE(start);
      start += 2;
    } else if (len === 127) {
      if (start + 8 > buf.length) return undefined;
      len = Number(buf.readBigUInt64BE(start));
      start += 8;
    }
    if (start + len > buf.length) return undefined;
    if (opcode === 0x8) return len >= 2 ? buf.readUInt16BE(start) : 1005;
    at = start + len;
  }
  return undefined;
}

/**
 * Opens an exec session on `path` by hand (subprotocol v5.channel.k8s.io), sends `frames`
 * after the upgrade, and waits (at most `timeoutMs`) for the server to close.
 */
export function rawWebSocket(target: ApiTarget, path: string, frames: RawFrame[], timeoutMs = 10_000): Promise<RawWsOutcome> {
  const url = new URL(target.url);
  const socket = tls.connect({ host: url.hostname, port: Number(url.port), ca: target.ca, servername: 'localhost' });
  return new Promise((resolve) => {
    let head = '';
    let upgraded = false;
    let rest = Buffer.alloc(0);
    const finish = (closed: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      const code = closeCodeIn(rest);
      resolve({ upgraded, closed, ...(code !== undefined ? { closeCode: code } : {}) });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('secureConnect', () => {
      socket.write([`GET ${path} HTTP/1.1`, `Host: ${url.host}`, 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Protocol: v5.channel.k8s.io', `Authorization: Bearer ${target.token}`, '', ''].join('\r\n'));
    });
    socket.on('data', (d: Buffer) => {
      if (upgraded) {
        rest = Buffer.concat([rest, d]);
        return;
      }
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      upgraded = head.startsWith('HTTP/1.1 101');
      rest = Buffer.from(head.slice(end + 4), 'latin1');
      if (!upgraded) return;
      for (const f of frames) socket.write(encodeFrame(f));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => finish(true));
  });
}
