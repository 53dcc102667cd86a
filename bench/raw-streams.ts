// The raw stack of the log and exec scenarios: a bare node:https server streaming bytes (from
// memory, or a shell script's stdout through a pipe) and a bare `ws` echo server over TLS
// speaking the exec channel framing.
import { spawn } from 'node:child_process';
import type { ServerResponse } from 'node:http';
import { WebSocketServer } from 'ws';
import { type RawServer, serve, type Tls } from './raw-servers.js';
import { drainOrClose } from '../src/apiserver/handlers/stream.js';

/** One line of the log throughput step (`yes` of 99 x's): 100 bytes with its newline. */
export const LOG_LINE = `${'x'.repeat(99)}\n`;
/** The exec subprotocol both echo servers speak. */
export const CHANNEL_PROTOCOL = 'v5.channel.k8s.io';

const CHUNK = Buffer.from(LOG_LINE.repeat(655));

async function writeBytes(res: ServerResponse, total: number): Promise<void> {
  for (let left = total; left > 0 && !res.destroyed;) {
    const b = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
    left -= b.length;
    if (!res.write(b)) await drainOrClose(res);
  }
  res.end();
}

function pipeScript(res: ServerResponse, script: string): void {
  const child = spawn('/bin/sh', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  child.on('error', () => res.destroy());
  res.on('close', () => child.kill());
  child.stdout.pipe(res);
}

/**
 * GET /bytes streams `bytes` bytes of {@link LOG_LINE}s from memory in 65,500-byte writes,
 * honouring back-pressure; GET /script streams the stdout of `/bin/sh -c script` through a pipe.
 */
export async function rawStreamServer(tls: Tls, o: { bytes: number; script: string }): Promise<RawServer> {
  const { raw } = await serve(tls, (req, res) => {
    if (req.url !== '/bytes' && req.url !== '/script') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    if (req.url === '/bytes') void writeBytes(res, o.bytes);
    else pipeScript(res, o.script);
  });
  return raw;
}

/**
 * A websocket server over TLS on any path: like an exec session it first sends an empty stdout
 * frame, echoes every stdin frame (channel 0) on stdout (channel 1), and on a close frame
 * (channel 255) sends a Success Status on channel 3 and closes.
 */
export async function rawEchoServer(tls: Tls): Promise<RawServer> {
  const { server, raw } = await serve(tls, (_req, res) => void res.writeHead(404).end());
  const wss = new WebSocketServer({
    server, perMessageDeflate: false, maxPayload: 1024 * 1024,
    handleProtocols: (offered) => (offered.has(CHANNEL_PROTOCOL) ? CHANNEL_PROTOCOL : false),
  });
  wss.on('connection', (ws) => {
    ws.send(Buffer.from([1]));
    ws.on('message', (data: Buffer) => {
      if (data[0] === 0) ws.send(Buffer.concat([Buffer.from([1]), data.subarray(1)]));
      else if (data[0] === 255) {
        ws.send(Buffer.concat([Buffer.from([3]), Buffer.from('{"metadata":{},"status":"Success"}')]));
        ws.close(1000);
      }
    });
  });
  return {
    port: raw.port,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await raw.close();
    },
  };
}
