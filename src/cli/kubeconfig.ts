import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { stringify } from 'yaml';
import { ensureSecretFile } from './secret-file.js';
import { writeFileAtomic } from './write-file-atomic.js';

/** What {@link writeKubeconfig} writes; the names default to the dev-mode ones. */
export interface KubeconfigOptions {
  /** `https://host:port` of the apiserver. */
  server: string;
  /** The CA that signed the serving certificate; kubectl verifies TLS against it. */
  caPem: string;
  /** Bearer token of the user. */
  token: string;
  /** Defaults to `kube-actions-admin`. */
  user?: string;
  /** Defaults to `kube-actions`. */
  cluster?: string;
  /** Defaults to `kube-actions`. */
  context?: string;
  /** Defaults to `default`. */
  namespace?: string;
}

/** File holding the dev-mode admin token inside the data directory. */
export const ADMIN_TOKEN_FILE = 'admin-token';

/**
 * Writes a kubeconfig with one cluster (`certificate-authority-data` = base64 of `caPem`, no
 * insecure-skip-tls-verify), one token user and one context, which is the current context.
 * The file is replaced atomically and has mode 0600; parent directories are created.
 */
export async function writeKubeconfig(file: string, opts: KubeconfigOptions): Promise<void> {
  const cluster = opts.cluster ?? 'kube-actions';
  const user = opts.user ?? 'kube-actions-admin';
  const context = opts.context ?? 'kube-actions';
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: cluster,
        cluster: {
          server: opts.server,
          'certificate-authority-data': Buffer.from(opts.caPem, 'utf8').toString('base64'),
        },
      },
    ],
    users: [{ name: user, user: { token: opts.token } }],
    contexts: [{ name: context, context: { cluster, user, namespace: opts.namespace ?? 'default' } }],
    'current-context': context,
    preferences: {},
  };
  await writeFileAtomic(file, stringify(config), 0o600);
}

/** A new bearer token: 32 random bytes, base64url without padding (43 characters). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Returns the dev-mode admin token kept in `<dataDir>/admin-token` (mode 0600), creating the file
 * with a new token when it is missing or empty, so the token survives restarts.
 */
export function ensureAdminToken(dataDir: string): Promise<string> {
  return ensureSecretFile(path.join(dataDir, ADMIN_TOKEN_FILE), generateToken);
}
