// Serving certificates given as files are re-read when they change (cert-manager rotates them
// in place), and new connections get the new certificate.
import { readFile, stat } from 'node:fs/promises';
import type https from 'node:https';

export interface CertFiles {
  certFile: string;
  keyFile: string;
}

/** Checks the files every `intervalMs`; a pair that does not load leaves the old one in use. */
export function reloadCertificates(server: https.Server, files: CertFiles, intervalMs: number, onError: (err: unknown) => void): () => void {
  let last = '';
  const check = async (): Promise<void> => {
    const [c, k] = await Promise.all([stat(files.certFile), stat(files.keyFile)]);
    const stamp = `${c.mtimeMs}:${c.size}:${k.mtimeMs}:${k.size}`;
    if (stamp === last) return;
    const [cert, key] = await Promise.all([readFile(files.certFile, 'utf8'), readFile(files.keyFile, 'utf8')]);
    server.setSecureContext({ cert, key });
    last = stamp;
  };
  void check().catch(onError);
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    check().catch(onError).finally(() => (busy = false));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
