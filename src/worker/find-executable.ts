// Looking a program up on a PATH, as execvp would: the first regular file that may be executed.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';

/** The path of `name` (or `name` itself when it holds a `/`) if it is executable, else undefined. */
export async function findExecutable(name: string, searchPath = process.env['PATH'] ?? ''): Promise<string | undefined> {
  const candidates = name.includes('/') ? [name] : searchPath.split(path.delimiter).filter((d) => d !== '').map((d) => path.join(d, name));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      continue;
    }
  }
  return undefined;
}
