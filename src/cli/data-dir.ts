// What `kube-actions dev` keeps in its data directory (--data-dir), and who may read it: other
// uids (a run's steps) may pass through it to the workspaces inside, but may neither list it nor
// read anything kube-actions keeps there.
import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { SERVING_CERT_FILES } from './certs.js';
import { ADMIN_TOKEN_FILE } from './kubeconfig.js';

/** The entries of the data directory, relative to it. */
export const DATA_DIR_ENTRIES = {
  /** The private redis-server's data directory (its ACL file included). */
  redis: 'redis',
  redisLog: 'redis.log',
  /** The password of the private redis-server's ACL user. */
  redisPassword: 'redis-password',
  certs: 'certs',
  adminToken: ADMIN_TOKEN_FILE,
  kubeconfig: 'kubeconfig',
} as const;

/** Each entry's mode; their writers create them so, and {@link prepareDataDir} mends older ones. */
const PRIVATE_MODES: readonly (readonly [string, number])[] = [
  [DATA_DIR_ENTRIES.redis, 0o700],
  [DATA_DIR_ENTRIES.redisLog, 0o600],
  [DATA_DIR_ENTRIES.redisPassword, 0o600],
  [DATA_DIR_ENTRIES.certs, 0o700],
  [path.join(DATA_DIR_ENTRIES.certs, SERVING_CERT_FILES.key), 0o600],
  [DATA_DIR_ENTRIES.adminToken, 0o600],
  [DATA_DIR_ENTRIES.kubeconfig, 0o600],
];

/**
 * Creates the data directory when missing and gives it mode 0711, and the entries that exist
 * (e.g. from a version that made them readable) their private modes.
 */
export async function prepareDataDir(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o711 });
  await chmod(dataDir, 0o711);
  for (const [entry, mode] of PRIVATE_MODES) {
    await chmod(path.join(dataDir, entry), mode).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}
