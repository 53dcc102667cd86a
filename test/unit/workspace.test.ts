import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  createWorkspace,
  removeWorkspace,
  resolveWorkingDir,
  workspaceDirName,
} from '../../src/worker/workspace.js';

let base: string;
before(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), 'kube-actions-workspace-')));
});
after(async () => {
  await rm(base, { recursive: true, force: true });
});

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

describe('createWorkspace', () => {
  test('uses a safe id as the directory name', async () => {
    const ws = await createWorkspace(base, 'build-x7k2p.1');
    assert.equal(ws, join(base, 'build-x7k2p.1'));
    assert.ok(existsSync(ws));
  });

  test('sanitizes unsafe ids into distinct direct children of the base', async () => {
    const ids = ['ci/build-x7k2p', 'ci_build-x7k2p', '..', '.', '', '../../etc', 'a b', '-rf', 'été', 'x'.repeat(300)];
    const paths = await Promise.all(ids.map((id) => createWorkspace(base, id)));
    for (const path of paths) {
      assert.equal(dirname(path), base);
      const name = path.slice(base.length + 1);
      assert.match(name, SAFE);
      assert.ok(name.length <= 100, `${name} is too long`);
      assert.ok(existsSync(path));
    }
    assert.equal(new Set(paths).size, ids.length);
    assert.match(workspaceDirName('ci/build-x7k2p'), /^ci_build-x7k2p-[0-9a-f]{16}$/);
  });

  test('is idempotent and keeps existing content', async () => {
    const ws = await createWorkspace(base, 'again');
    await writeFile(join(ws, 'kept'), 'x');
    assert.equal(await createWorkspace(base, 'again'), ws);
    assert.deepEqual(await readdir(ws), ['kept']);
  });
});

describe('removeWorkspace', () => {
  test('removes the whole tree, read-only directories included', async () => {
    const ws = await createWorkspace(base, 'to-remove');
    const locked = join(ws, 'pkg', 'mod', 'locked');
    await mkdir(locked, { recursive: true });
    await writeFile(join(locked, 'file'), 'x');
    await chmod(locked, 0o555);
    await chmod(dirname(locked), 0o555);
    await removeWorkspace(ws);
    assert.equal(existsSync(ws), false);
  });

  test('accepts a missing path and refuses relative paths and roots', async () => {
    await removeWorkspace(join(base, 'never-created'));
    await assert.rejects(removeWorkspace('relative/ws'), /refusing to remove/);
    await assert.rejects(removeWorkspace('/'), /refusing to remove/);
  });
});

describe('resolveWorkingDir', () => {
  test('returns the workspace itself without a workingDir', async () => {
    const ws = await createWorkspace(base, 'wd-root');
    assert.equal(await resolveWorkingDir(ws), ws);
    assert.equal(await resolveWorkingDir(ws, ''), ws);
  });

  test('creates nested directories and allows links that stay inside', async () => {
    const ws = await createWorkspace(base, 'wd-nested');
    assert.equal(await resolveWorkingDir(ws, 'a/./b/../c'), join(ws, 'a', 'c'));
    assert.ok(existsSync(join(ws, 'a', 'c')));
    await symlink(join(ws, 'a'), join(ws, 'alias'));
    assert.equal(await resolveWorkingDir(ws, 'alias/d'), join(ws, 'a', 'd'));
  });

  test('rejects absolute paths, .. escapes and escaping links', async () => {
    const ws = await createWorkspace(base, 'wd-escape');
    await symlink(base, join(ws, 'up'));
    await assert.rejects(resolveWorkingDir(ws, '/etc'), /must be relative to the workspace/);
    await assert.rejects(resolveWorkingDir(ws, 'a/../..'), /escapes the workspace/);
    await assert.rejects(resolveWorkingDir(ws, 'up/x'), /escapes the workspace through a symbolic link/);
    assert.equal(existsSync(join(base, 'x')), false);
  });
});
