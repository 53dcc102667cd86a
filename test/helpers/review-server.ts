// A stand-in for kube-apiserver's delegation endpoints, for tests of authentication and
// authorization: an HTTPS server that answers authentication.k8s.io/v1 TokenReview and
// authorization.k8s.io/v1 SubjectAccessReview with the real JSON, serves the
// kube-system/extension-apiserver-authentication ConfigMap, records every request, and writes a
// kubeconfig that reaches it. Requests without the kubeconfig's token get 401.
import { mkdir } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { generateCA, issueCertificate } from '../../src/cli/certs.js';
import { writeKubeconfig } from '../../src/cli/kubeconfig.js';

/** A user as TokenReview reports it. */
export interface ReviewUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** authorization.k8s.io/v1 SubjectAccessReviewSpec as received. */
export interface AccessReviewSpec {
  resourceAttributes?: Record<string, string>;
  nonResourceAttributes?: Record<string, string>;
  user?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
  uid?: string;
}

/** What the test server answers to a SubjectAccessReview: a status, or an HTTP failure. */
export type AccessDecision = { allowed: boolean; denied?: boolean; reason?: string } | { httpStatus: number };

/** One review request as received: the credential it carried and its parsed body. */
export interface Received<B> {
  authorization: string | undefined;
  body: B;
}

export interface ReviewServer {
  url: string;
  /** A kubeconfig (token user) that reaches this server and trusts its certificate. */
  kubeconfig: string;
  /** The token the kubeconfig carries. */
  token: string;
  tokenReviews: Received<{ apiVersion: string; kind: string; spec: { token: string } }>[];
  accessReviews: Received<{ apiVersion: string; kind: string; spec: AccessReviewSpec }>[];
  configMapReads: number;
  /** Tokens TokenReview accepts. */
  users: Map<string, ReviewUser>;
  /** Tokens TokenReview refuses with `status.error`. */
  erroring: Map<string, string>;
  /** Decides each SubjectAccessReview; default: allowed. */
  decide: (spec: AccessReviewSpec) => AccessDecision;
  /** The ConfigMap's data; undefined: 404. */
  configMap: Record<string, string> | undefined;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

async function handle(s: ReviewServer, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.headers.authorization !== `Bearer ${s.token}`) return json(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
  const authorization = req.headers.authorization;
  if (req.method === 'GET' && req.url === '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication') {
    s.configMapReads++;
    if (!s.configMap) return json(res, 404, status(404, 'NotFound', 'configmaps "extension-apiserver-authentication" not found'));
    return json(res, 200, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'extension-apiserver-authentication', namespace: 'kube-system' }, data: s.configMap });
  }
  if (req.method === 'POST' && req.url === '/apis/authentication.k8s.io/v1/tokenreviews') {
    const body = JSON.parse(await readBody(req)) as ReviewServer['tokenReviews'][number]['body'];
    s.tokenReviews.push({ authorization, body });
    const user = s.users.get(body.spec.token);
    const error = s.erroring.get(body.spec.token);
    const reviewStatus = user ? { authenticated: true, user } : { authenticated: false, ...(error ? { error } : {}) };
    return json(res, 201, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: {}, spec: body.spec, status: reviewStatus });
  }
  if (req.method === 'POST' && req.url === '/apis/authorization.k8s.io/v1/subjectaccessreviews') {
    const body = JSON.parse(await readBody(req)) as ReviewServer['accessReviews'][number]['body'];
    s.accessReviews.push({ authorization, body });
    const decision = s.decide(body.spec);
    if ('httpStatus' in decision) return json(res, decision.httpStatus, status(decision.httpStatus, 'InternalError', 'review backend failed'));
    return json(res, 201, { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', metadata: {}, spec: body.spec, status: decision });
  }
  json(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
}

/** Starts the server on a free port of 127.0.0.1; the kubeconfig is written into `dir`. */
export async function startReviewServer(dir: string): Promise<ReviewServer> {
  await mkdir(dir, { recursive: true });
  const ca = await generateCA('review-ca');
  const serving = await issueCertificate(ca, { commonName: 'review-server', ips: ['127.0.0.1'], usage: 'server' });
  const state = {
    tokenReviews: [], accessReviews: [], configMapReads: 0, users: new Map(), erroring: new Map(),
    decide: () => ({ allowed: true }), configMap: undefined, token: 'delegation-token', kubeconfig: join(dir, 'review.kubeconfig'), url: '',
  } as Omit<ReviewServer, 'close'>;
  const server = https.createServer({ cert: serving.cert, key: serving.key }, (req, res) => {
    handle(s, req, res).catch((err: unknown) => json(res, 500, status(500, 'InternalError', String(err))));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const s: ReviewServer = Object.assign(state, {
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  });
  s.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await writeKubeconfig(s.kubeconfig, { server: s.url, caPem: ca.cert, token: s.token, user: 'kube-actions-apiserver' });
  return s;
}
