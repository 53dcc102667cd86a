// HTTP(S) requests to the cluster with the kubeconfig's server, TLS and credentials
// (KubeConfig.applyToHTTPSOptions: CA, client certificate, bearer token, exec/OIDC plugins).
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type WebSocket from 'ws';
import { connectionError } from './connection-error.js';
import { statusErrorFrom } from './status-error.js';

/** One request: query, JSON body, cancellation and Accept header. */
export interface RequestOptions {
  query?: URLSearchParams;
  /** Sent as JSON. */
  body?: unknown;
  signal?: AbortSignal;
  /** Defaults to `application/json`. */
  accept?: string;
}

const USER_AGENT = `kubectl-actions/0.1.0 (node ${process.version})`;

/** Reads a whole response body as text. */
export async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A client for one cluster, as the current kubeconfig context describes it. */
export class ApiClient {
  readonly #server: string;

  /** Throws when the context names no cluster. */
  constructor(readonly kc: KubeConfig) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error(`the current context "${kc.getCurrentContext()}" names no cluster; set one with --context or in the kubeconfig`);
    this.#server = cluster.server.replace(/\/+$/, '');
  }

  /** The absolute URL of an API path (the server URL may carry a path prefix). */
  url(path: string, query?: URLSearchParams): URL {
    const url = new URL(this.#server + path);
    if (query) url.search = query.toString();
    return url;
  }

  /**
   * Sends one request; resolves with the response when it is 2xx (the body unread), rejects
   * with a StatusError for any other status, with a ConnectionError when there is no answer,
   * and with the abort error when `opts.signal` aborts.
   */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    const data = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const options: https.RequestOptions = {
      method,
      headers: {
        accept: opts.accept ?? 'application/json',
        'user-agent': USER_AGENT,
        ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}),
      },
    };
    await this.kc.applyToHTTPSOptions(options);
    const url = this.url(path, opts.query);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const send = url.protocol === 'http:' ? http.request : https.request;
      const req = send(url, { ...options, ...(opts.signal ? { signal: opts.signal } : {}) }, resolve);
      req.on('error', (err) => reject(connectionError(url, err)));
      req.end(data);
    });
    const code = res.statusCode ?? 0;
    if (code >= 200 && code < 300) return res;
    throw statusErrorFrom(code, await readBody(res));
  }

  /** {@link request}, then the body parsed as JSON. */
  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    return JSON.parse(await readBody(await this.request(method, path, opts))) as T;
  }

  /** Options for a `ws` client: TLS material, agent and Authorization from the kubeconfig. */
  async webSocketOptions(): Promise<WebSocket.ClientOptions> {
    const options: WebSocket.ClientOptions = { headers: { 'user-agent': USER_AGENT } };
    await this.kc.applyToHTTPSOptions(options);
    return options;
  }
}
