// Websocket upgrades for exec/attach: authenticated and authorized (get and create, as
// Kubernetes 1.35 does for pods/exec) and checked before the upgrade; a refusal is a plain HTTP
// answer with a Status, never a 1xx/2xx/3xx (kube-apiserver's proxy turns those into 503).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Authenticator } from '../auth/authn.js';
import type { Authorizer } from '../auth/authz.js';
import { newBadRequest, newGenericNotFound, newTooManyRequests, toStatus } from '../errors.js';
import { parseBool } from '../http/options.js';
import { rawStatusResponse } from '../http/raw-status.js';
import type { Installer } from '../installer.js';
import { RETRY_AFTER_SECONDS } from '../max-in-flight.js';
import { parseRequestInfo } from '../request-info.js';
import type { RequestContext } from '../rest.js';
import type { RemoteCommandOptions, ResourceStreamer } from '../handlers/types.js';
import { chooseProtocol, WebSocketSession } from './session.js';

/** Writes a Status as the whole HTTP answer to an upgrade request and closes the socket. */
export function refuseUpgrade(socket: Duplex, err: unknown): void {
  socket.end(rawStatusResponse(toStatus(err)));
}

export function remoteCommandOptions(q: URLSearchParams, exec: boolean): RemoteCommandOptions {
  const opts = {
    command: q.getAll('command'),
    stdin: parseBool(q.get('stdin')) ?? false,
    stdout: parseBool(q.get('stdout')) ?? false,
    stderr: parseBool(q.get('stderr')) ?? false,
    tty: parseBool(q.get('tty')) ?? false,
  };
  if (exec && opts.command.length === 0) throw newBadRequest('you must specify at least 1 command');
  if (!opts.stdin && !opts.stdout && !opts.stderr) throw newBadRequest('you must specify at least 1 of stdin, stdout, stderr');
  if (opts.tty) opts.stderr = false;
  return opts;
}

/**
 * The RFC 6455 headers `ws` checks before it completes a handshake (it would refuse with an
 * HTML page, not a Status): a 16-byte base64 Sec-WebSocket-Key and version 13 (or hybi-08).
 */
function assertHandshakeHeaders(req: IncomingMessage): void {
  const key = req.headers['sec-websocket-key'];
  if (key === undefined || !/^[+/0-9A-Za-z]{22}==$/.test(key.trim())) throw newBadRequest('unable to upgrade: missing or invalid Sec-WebSocket-Key header');
  const version = req.headers['sec-websocket-version'];
  if (version !== '13' && version !== '8') throw newBadRequest('unable to upgrade: unsupported Sec-WebSocket-Version; 13 is supported');
}

/** The subprotocol decided for an upgrade request, before ws completes the handshake. */
interface ChosenProtocol {
  chosenProtocol?: string;
}

const LOG_PROTOCOLS = ['binary.k8s.io', 'base64.binary.k8s.io'];

/** Limits of the websockets an UpgradeHandler serves. */
export interface UpgradeLimits {
  /** Open exec and attach sessions; one more is refused with 429 before the 101; 0: unlimited. */
  maxSessions: number;
  /** The largest message a client may send; a bigger one closes the websocket with 1009. */
  maxMessageBytes: number;
}

export class UpgradeHandler {
  readonly #wss: WebSocketServer;
  readonly #maxSessions: number;
  #sessions = 0;

  constructor(
    readonly installer: Installer,
    readonly authenticator: Authenticator,
    readonly authorizer: Authorizer,
    limits: UpgradeLimits = { maxSessions: 0, maxMessageBytes: 1024 * 1024 },
  ) {
    this.#maxSessions = limits.maxSessions;
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: limits.maxMessageBytes,
      perMessageDeflate: false,
      handleProtocols: (_offered, req) => (req as ChosenProtocol).chosenProtocol ?? false,
    });
  }

  /** Exec and attach sessions open now (counted from before the 101 until the socket closed). */
  get openSessions(): number {
    return this.#sessions;
  }

  /** Closes every open websocket with 1001 (going away): the server is shutting down. */
  closeAll(): void {
    for (const ws of this.#wss.clients) ws.close(1001, 'the server is shutting down');
  }

  /** The server's 'upgrade' listener. */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    this.#upgrade(req, socket, head).catch((err: unknown) => refuseUpgrade(socket, err));
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const info = parseRequestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
    const user = await this.authenticator.authenticate(req, info);
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket' || req.method !== 'GET') {
      throw newBadRequest('only websocket upgrades (GET, Upgrade: websocket) are served; SPDY is not supported: use kubectl 1.30 or newer');
    }
    assertHandshakeHeaders(req);
    await this.authorizer.authorize(user, info);
    const install = info.isResourceRequest ? this.installer.find(info) : undefined;
    if (!install || !info.name || !info.namespace) throw newGenericNotFound();
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter(Boolean);
    const controller = new AbortController();
    const ctx: RequestContext = { user, namespace: info.namespace, signal: controller.signal, warnings: [], dryRun: false };
    const stream = install.streams?.[info.subresource];
    if (stream) {
      this.#streamOverWebSocket(req, socket, head, offered, controller, await stream.getStream(ctx, info.name, url.searchParams));
      return;
    }
    const connecter = install.connecters?.[info.subresource];
    if (!connecter) throw newGenericNotFound();
    await this.authorizer.authorize(user, { ...info, verb: 'create' });
    const protocol = chooseProtocol(offered);
    if (!protocol) {
      throw newBadRequest(`unable to upgrade: none of the requested subprotocols is supported; offer one of v5.channel.k8s.io, v4.channel.k8s.io, v3.channel.k8s.io, v2.channel.k8s.io, channel.k8s.io`);
    }
    const opts = remoteCommandOptions(url.searchParams, info.subresource === 'exec');
    const release = this.#takeSession(socket);
    const serve = await connecter.connect(ctx, info.name, opts).catch((err: unknown) => {
      release();
      throw err;
    });
    (req as ChosenProtocol).chosenProtocol = protocol;
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const first = opts.stdout ? 'stdout' : opts.stderr ? 'stderr' : 'error';
      const session = new WebSocketSession(ws, protocol, opts.tty, first);
      session.onClose(() => controller.abort());
      serve(session);
    });
  }

  /**
   * Takes a session slot until `socket` closes or the returned function is called (when the
   * session is refused after all), or refuses with 429 when none is free.
   */
  #takeSession(socket: Duplex): () => void {
    if (this.#maxSessions > 0 && this.#sessions >= this.#maxSessions) {
      throw newTooManyRequests('Too many exec and attach sessions on this server, please try again later.', RETRY_AFTER_SECONDS);
    }
    let held = true;
    const release = (): void => {
      if (held) this.#sessions--;
      held = false;
    };
    this.#sessions++;
    if (socket.closed) release();
    else socket.once('close', release);
    return release;
  }

  /**
   * A streamed subresource (log) over a websocket, as wsstream's reader does it: protocols
   * "" or binary.k8s.io (binary messages) and base64.binary.k8s.io (base64 text); an empty
   * first message, one message per chunk, a normal close at the end.
   */
  #streamOverWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, offered: string[],
    controller: AbortController, streamer: ResourceStreamer): void {
    const protocol = offered.length === 0 ? '' : offered.find((p) => LOG_PROTOCOLS.includes(p));
    if (protocol === undefined) throw newBadRequest(`unable to upgrade: offer one of ${LOG_PROTOCOLS.join(', ')}`);
    (req as ChosenProtocol).chosenProtocol = protocol;
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const base64 = protocol === 'base64.binary.k8s.io';
      const send = (b: Buffer): void => ws.send(base64 ? b.toString('base64') : b, { binary: !base64 });
      ws.on('close', () => controller.abort());
      ws.on('error', () => ws.terminate());
      void (async () => {
        send(Buffer.alloc(0));
        try {
          for await (const chunk of streamer.stream) {
            if (ws.readyState !== ws.OPEN) break;
            send(chunk);
            while (ws.bufferedAmount > 4 * 1024 * 1024 && ws.readyState === ws.OPEN) await new Promise((r) => setTimeout(r, 10));
          }
        } finally {
          if (ws.readyState === ws.OPEN) ws.close(1000);
        }
      })().catch(() => ws.terminate());
    });
  }
}
