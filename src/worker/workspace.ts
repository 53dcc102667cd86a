// A run's workspace: one directory per run under the worker's base directory, shared by its
// steps, each of which may name a working directory inside it.

import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, realpath, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, parse, relative, resolve, sep } from 'node:path';

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const MAX_READABLE_PREFIX = 80;

/**
 * The directory name for workspace `id`: the id itself when it is already a safe name (letters,
 * digits, `._-`, not starting with a dot or dash, at most 100 bytes); otherwise a readable,
 * sanitized prefix plus a hash of the id, so that distinct ids never share a directory.
 */
export function workspaceDirName(id: string): string {
  if (SAFE_NAME.test(id)) return id;
  const readable = id
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._-]+/, '')
    .slice(0, MAX_READABLE_PREFIX);
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 16);
  return readable === '' ? hash : `${readable}-${hash}`;
}

/**
 * Creates (if missing) the workspace of run `id` under `baseDir` and returns its absolute path.
 * Idempotent: an existing workspace is returned as it is.
 */
export async function createWorkspace(baseDir: string, id: string): Promise<string> {
  const path = join(resolve(baseDir), workspaceDirName(id));
  await mkdir(path, { recursive: true });
  return path;
}

/**
 * Deletes a workspace and everything in it; a missing path is not an error. Read-only directories
 * (e.g. Go's module cache) are made writable first. Refuses relative paths and filesystem roots.
 */
export async function removeWorkspace(path: string): Promise<void> {
  if (!isAbsolute(path) || resolve(path) === parse(path).root) {
    throw new Error(`refusing to remove workspace "${path}": not an absolute, non-root path`);
  }
  try {
    await rm(path, { recursive: true, force: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw err;
    await makeDirsWritable(path);
    await rm(path, { recursive: true, force: true });
  }
}

/**
 * Resolves a step's `workingDir` inside `workspace` (which must exist), creating it if missing
 * (unless `create` is false: an isolated step creates it as its own uid), and returns its real
 * absolute path. Throws a descriptive Error for an absolute `workingDir`, one that climbs out with
 * `..`, or one that leaves the workspace through a symbolic link.
 */
export async function resolveWorkingDir(workspace: string, workingDir?: string, opts: { create?: boolean } = {}): Promise<string> {
  const root = await realpath(workspace);
  if (workingDir === undefined || workingDir === '') return root;
  if (isAbsolute(workingDir)) {
    throw new Error(`workingDir "${workingDir}" must be relative to the workspace`);
  }
  const dir = resolve(root, workingDir);
  if (!isInside(root, dir)) throw new Error(`workingDir "${workingDir}" escapes the workspace`);
  const ancestor = await nearestExisting(dir);
  const realAncestor = await realpath(ancestor);
  if (!isInside(root, realAncestor)) {
    throw new Error(`workingDir "${workingDir}" escapes the workspace through a symbolic link`);
  }
  const real = join(realAncestor, relative(ancestor, dir));
  if (opts.create ?? true) await mkdir(real, { recursive: true });
  return real;
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** `path` itself or its closest ancestor that exists (as anything, including a symlink). */
async function nearestExisting(path: string): Promise<string> {
  for (let p = path; ; p = dirname(p)) {
    try {
      await lstat(p);
      return p;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(p) === p) throw err;
    }
  }
}

async function makeDirsWritable(dir: string): Promise<void> {
  const stat = await lstat(dir).catch(() => undefined);
  if (stat === undefined || !stat.isDirectory()) return;
  await chmod(dir, 0o700);
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.isDirectory()) await makeDirsWritable(join(dir, entry.name));
  }
}
