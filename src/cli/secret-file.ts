import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './write-file-atomic.js';

/**
 * Returns the secret kept in `file`, creating the file (mode 0600) with `generate()` when it is
 * missing or empty, so that the secret survives restarts.
 */
export async function ensureSecretFile(file: string, generate: () => string): Promise<string> {
  try {
    const secret = (await readFile(file, 'utf8')).trim();
    if (secret !== '') return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = generate();
  await writeFileAtomic(file, `${secret}\n`, 0o600);
  return secret;
}
