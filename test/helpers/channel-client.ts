// A raw websocket client for exec/attach that speaks the Kubernetes channel protocols
// (v5/v4/… binary frames, base64 text frames) and records every frame it receives, so tests
// can assert the wire exactly: the empty first frame, each channel's bytes, the Status on
// channel 3 and the close code.
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import type { Endpoint } from './kube-http.js';
import { waitFor } from './wait.js';

/** One frame as received: its channel and payload (decoded for base64 protocols). */
export interface ChannelFrame {
  channel: number;
  data: Buffer;
  /** Whether it came as a text frame. */
  text: boolean;
}

/** The query of an exec/attach request (false values are sent too, as client-node does). */
export interface RemoteCommandQuery {
  command?: string[];
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  tty?: boolean;
}

/** `/apis/kubeactions.dev/v1alpha1/namespaces/NS/workflowruns/NAME/<sub>?…` */
export function remoteCommandPath(namespace: string, name: string, sub: 'exec' | 'attach', q: RemoteCommandQuery): string {
  const params = new URLSearchParams();
  for (const c of q.command ?? []) params.append('command', c);
  for (const k of ['stdin', 'stdout', 'stderr', 'tty'] as const) {
    if (q[k] !== undefined) params.set(k, String(q[k]));
  }
  return `/apis/kubeactions.dev/v1alpha1/namespaces/${namespace}/workflowruns/${name}/${sub}?${params}`;
}

/** How the server ended the connection. */
export interface Closed {
  code: number;
  reason: string;
}

/** One open session; frames are recorded from the moment the upgrade succeeds. */
export class ChannelClient {
  readonly frames: ChannelFrame[] = [];
  /** Resolves when the connection is closed (by either side). */
  readonly closed: Promise<Closed>;
  #closedWith: Closed | undefined;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code: number, reason: Buffer) => {
        this.#closedWith = { code, reason: reason.toString() };
        resolve(this.#closedWith);
      });
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.frames.push({ channel: data[0] ?? -1, data: data.subarray(1), text: false });
      else {
        const s = data.toString('latin1');
        this.frames.push({ channel: s.charCodeAt(0) - 48, data: Buffer.from(s.slice(1), 'base64'), text: true });
      }
    });
  }

  /** Opens a session; rejects with the HTTP status and body when the server refuses the upgrade. */
  static open(ep: Endpoint, path: string, protocols: string[]): Promise<ChannelClient> {
    const ws = new WebSocket(wsUrl(ep, path), protocols, { ca: ep.ca, headers: { Authorization: `Bearer ${ep.token}` } });
    const client = new ChannelClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
      ws.once('unexpected-response', (req, res) => {
        readAll(res).then((body) => reject(new Error(`upgrade refused: ${res.statusCode} ${body}`)), reject).finally(() => req.destroy());
      });
    });
  }

  /** The negotiated subprotocol. */
  get protocol(): string {
    return this.ws.protocol;
  }

  /** How the connection was closed, once it is. */
  get closedWith(): Closed | undefined {
    return this.#closedWith;
  }

  /** Everything received on `channel`, as UTF-8. */
  output(channel: number): string {
    return Buffer.concat(this.frames.filter((f) => f.channel === channel).map((f) => f.data)).toString('utf8');
  }

  /** Sends `data` on `channel` in a binary frame (or a base64 text frame when `base64`). */
  send(channel: number, data: string | Buffer, base64 = false): void {
    const body = typeof data === 'string' ? Buffer.from(data) : data;
    if (base64) this.ws.send(String.fromCharCode(48 + channel) + body.toString('base64'));
    else this.ws.send(Buffer.concat([Buffer.from([channel]), body]));
  }

  /** Sends `data` as one binary frame, as is. */
  sendRaw(data: Buffer): void {
    this.ws.send(data, { binary: true });
  }

  /** Waits until the text received on `channel` contains `text`; returns that output. */
  async waitOutput(channel: number, text: string | RegExp, timeoutMs = 10_000): Promise<string> {
    const has = (): boolean => (typeof text === 'string' ? this.output(channel).includes(text) : text.test(this.output(channel)));
    try {
      await waitFor(has, { timeoutMs, message: `${String(text)} on channel ${channel}` });
    } catch (err) {
      throw new Error(`${(err as Error).message}; received ${this.describe()}`);
    }
    return this.output(channel);
  }

  /** Waits for the server to close; returns the close code and the text sent on channel 3. */
  async finished(timeoutMs = 15_000): Promise<{ code: number; status: string }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the session did not end within ${timeoutMs} ms; received ${this.describe()}`)), timeoutMs);
    });
    try {
      const { code } = await Promise.race([this.closed, timeout]);
      return { code, status: this.output(3) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** The frames received so far, for failure messages. */
  describe(): string {
    return JSON.stringify(this.frames.map((f) => [f.channel, f.data.toString('utf8')]));
  }
}

/** What a refused upgrade answered. */
export interface Refusal {
  status: number;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

/**
 * Attempts a websocket upgrade that the server must refuse; resolves with its HTTP status and
 * JSON body, and rejects if the upgrade succeeds. `token: null` sends no credentials.
 */
export function refusedUpgrade(ep: Endpoint, path: string, protocols: string[], token: string | null = ep.token): Promise<Refusal> {
  const headers: Record<string, string> = token === null ? {} : { Authorization: `Bearer ${token}` };
  const ws = new WebSocket(wsUrl(ep, path), protocols, { ca: ep.ca, headers });
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.terminate();
      reject(new Error(`the server upgraded ${path} (protocol ${JSON.stringify(ws.protocol)}) but should have refused`));
    });
    ws.once('error', reject);
    ws.once('unexpected-response', (req, res) => {
      readAll(res)
        .then((text) => {
          let body: Record<string, unknown>;
          try {
            body = JSON.parse(text) as Record<string, unknown>;
          } catch {
            throw new Error(`the refusal (${res.statusCode}) is not JSON: ${JSON.stringify(text)}`);
          }
          resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body });
        })
        .catch(reject)
        .finally(() => req.destroy());
    });
  });
}

function wsUrl(ep: Endpoint, path: string): string {
  return ep.url.replace(/^http/, 'ws') + path;
}

async function readAll(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
