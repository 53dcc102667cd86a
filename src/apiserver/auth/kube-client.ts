// The connection to kube-apiserver that delegated authentication and authorization use
// (TokenReview, SubjectAccessReview, the authentication ConfigMap): a kubeconfig file or the
// in-cluster service account, read with @kubernetes/client-node, each request bounded by a
// timeout and retried with back-off on transient failures (Go's DefaultAuthWebhookRetryBackoff).
import { existsSync } from 'node:fs';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';

/** Where to find kube-apiserver: a kubeconfig file, or the pod's service account. */
export type KubeConfigSource = { file: string } | { inCluster: true };

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Whether this process runs in a pod with a service account (Go's `rest.InClusterConfig` conditions). */
export function inClusterAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && existsSync(SERVICE_ACCOUNT_TOKEN));
}

/** The first kubeconfig file given, else the in-cluster account when allowed and available, else none. */
export function resolveKubeConfigSource(files: readonly (string | undefined)[], allowInCluster: boolean): KubeConfigSource | undefined {
  const file = files.find((f) => f !== undefined && f !== '');
  if (file !== undefined) return { file };
  return allowInCluster && inClusterAvailable() ? { inCluster: true } : undefined;
}

/** Loads the kubeconfig (client-node is imported only when one is configured). Throws when it has no cluster. */
export async function loadKubeConfig(source: KubeConfigSource): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  if ('file' in source) kc.loadFromFile(source.file);
  else kc.loadFromCluster();
  if (!kc.getCurrentCluster()) throw new Error(`${'file' in source ? source.file : 'in-cluster config'}: no current cluster`);
  return kc;
}

/** A failed call: the HTTP code (0 when none came back) and kube-apiserver's message. */
export class KubeApiError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

const RETRY = { firstDelayMs: 500, factor: 1.5, jitter: 0.2, attempts: 5 } as const;
const TRANSIENT = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH']);

function isTransient(err: unknown): boolean {
  if (err instanceof KubeApiError) return err.code === 429 || err.code >= 500;
  return TRANSIENT.has((err as NodeJS.ErrnoException).code ?? '');
}

/** JSON requests to kube-apiserver with the kubeconfig's credentials over one keep-alive agent. */
export class KubeApiClient {
  #agent: https.Agent | undefined;

  constructor(
    readonly kubeConfig: KubeConfig,
    readonly timeoutMs = 10_000,
  ) {}

  /** POSTs `body` to `path`; resolves with the parsed 2xx answer, rejects with a {@link KubeApiError} or network error. */
  async post<T>(path: string, body: unknown): Promise<T> {
    const payload = JSON.stringify(body);
    for (let attempt = 1, delay: number = RETRY.firstDelayMs; ; attempt++, delay *= RETRY.factor) {
      try {
        return JSON.parse(await this.#once(path, payload)) as T;
      } catch (err) {
        if (attempt >= RETRY.attempts || !isTransient(err)) throw err;
        await sleep(delay * (1 + Math.random() * RETRY.jitter));
      }
    }
  }

  async #once(path: string, payload: string): Promise<string> {
    const opts: https.RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(opts);
    this.#agent ??= new https.Agent({
      keepAlive: true, ca: opts.ca, cert: opts.cert, key: opts.key, rejectUnauthorized: opts.rejectUnauthorized, servername: opts.servername,
    });
    const server = (this.kubeConfig.getCurrentCluster()?.server ?? '').replace(/\/+$/, '');
    return new Promise((resolve, reject) => {
      const req = https.request(`${server}${path}`, {
        method: 'POST', agent: this.#agent, auth: opts.auth, signal: AbortSignal.timeout(this.timeoutMs),
        headers: { ...opts.headers, 'Content-Type': 'application/json', Accept: 'application/json', 'Content-Length': Buffer.byteLength(payload) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300) resolve(text);
          else reject(new KubeApiError(code, `POST ${path}: ${code} ${statusMessage(text)}`));
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Closes idle connections. */
  close(): void {
    this.#agent?.destroy();
  }
}

function statusMessage(text: string): string {
  try {
    const status = JSON.parse(text) as { message?: unknown };
    if (typeof status.message === 'string') return status.message;
  } catch {
    // not a Status: the text itself says what happened
  }
  return text.slice(0, 200);
}
