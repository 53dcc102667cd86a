// The step sandbox against real processes: uid allocation with its lock files, the identity a
// step gets (uid, no capabilities, no groups, no_new_privs, limits, network), and the end of a
// run (every process of its uid killed, its /tmp files removed). Needs root, as CI runs.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { createSandbox, DEFAULT_STEP_LIMITS, parseUidRange, type RunIdentity, type SandboxSettings, type StepSandbox } from '../../src/worker/sandbox.js';
import { runStepProcess } from '../../src/worker/executor.js';
import { processesMatching, uniqueSleep } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';

const log = pino({ level: 'silent' });
const isRoot = process.getuid?.() === 0;

/** A range of `size` uids no other test uses at the same time (each test file picks its own). */
function privateRange(size: number): { first: number; last: number } {
  const first = 200_000 + Math.floor(Math.random() * 1_000_000);
  return { first, last: first + size - 1 };
}

/** Runs `script` as `identity` in `workspace`; resolves with its stdout and exit code. */
async function runAs(identity: RunIdentity, workspace: string, script: string, workingDir?: string): Promise<{ out: string; exitCode: number | null }> {
  let out = '';
  const result = await runStepProcess({
    script, workspace, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: workspace }, identity,
    ...(workingDir ? { workingDir } : {}),
    onOutput: (_stream, chunk) => (out += chunk.toString()),
  });
  return { out, exitCode: result.exitCode };
}

describe('step sandbox', { skip: isRoot ? false : 'switching uids needs root (CI runs as root)', timeout: 60_000 }, () => {
  let dir: string;
  let settings: SandboxSettings;
  let sandbox: StepSandbox;
  let root: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kube-actions-sandbox-'));
    await chmod(dir, 0o711);
    root = path.join(dir, 'workspaces');
    settings = { mode: 'required', uids: privateRange(2), lockDir: path.join(dir, 'locks'), network: 'Host', max: DEFAULT_STEP_LIMITS };
    const created = await createSandbox(settings, log);
    assert.ok(created);
    sandbox = created;
    await sandbox.prepareRoot(root);
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function workspaceFor(identity: RunIdentity, name: string): Promise<string> {
    const ws = path.join(root, name);
    await mkdir(ws);
    await identity.own(ws);
    return ws;
  }

  it('parses --step-uid-range and refuses ranges that are empty, too low or hold the worker\'s uid', () => {
    assert.deepEqual(parseUidRange('100000-165535'), { first: 100000, last: 165535 });
    assert.throws(() => parseUidRange('5-4'), /needs 1000 <= first <= last/);
    assert.throws(() => parseUidRange('0-2000'), /needs 1000 <= first/);
    assert.throws(() => parseUidRange('abc'), /expected <first>-<last>/);
  });

  it('makes the workspace root root-owned 0711, and each workspace the run\'s own, 0700', async () => {
    const st = await stat(root);
    assert.equal(st.mode & 0o777, 0o711);
    assert.equal(st.uid, 0);
    const id = await sandbox.acquire();
    const ws = await workspaceFor(id, 'owned');
    const wst = await stat(ws);
    await id.release(ws);
    assert.equal(wst.mode & 0o777, 0o700);
    assert.equal(wst.uid, id.uid);
    assert.equal(await stat(ws).catch(() => undefined), undefined, 'the workspace is removed');
  });

  it('gives each run its own uid from the range, and refuses when all are held, until one is released', async () => {
    const a = await sandbox.acquire();
    const b = await sandbox.acquire();
    try {
      assert.notEqual(a.uid, b.uid);
      for (const id of [a, b]) assert.ok(id.uid >= settings.uids.first && id.uid <= settings.uids.last);
      assert.deepEqual((await readdir(settings.lockDir)).sort(), [String(a.uid), String(b.uid)].sort());
      await assert.rejects(sandbox.acquire(), /no free step uid in --step-uid-range/);
      await a.release(path.join(root, 'none-a'));
      const c = await sandbox.acquire();
      assert.equal(c.uid, a.uid);
      await c.release(path.join(root, 'none-c'));
    } finally {
      await b.release(path.join(root, 'none-b'));
    }
    assert.deepEqual(await readdir(settings.lockDir), []);
  });

  it('takes over the uid of a worker that is gone, after killing what still runs as it', async () => {
    const other = { ...settings, uids: privateRange(1), lockDir: path.join(dir, 'locks-stale') };
    const single = await createSandbox(other, log);
    assert.ok(single);
    // A lock left by a process that has exited, and a process of that uid still running.
    const dead = spawn('true');
    await new Promise((r) => dead.once('exit', r));
    await writeFile(path.join(other.lockDir, String(other.uids.first)), `${dead.pid} 1\n`);
    const marker = uniqueSleep();
    spawn('setpriv', [`--reuid=${other.uids.first}`, `--regid=${other.uids.first}`, '--clear-groups', '--', 'setsid', 'sleep', marker], { stdio: 'ignore', detached: true }).unref();
    await waitFor(() => processesMatching(marker).length > 0, { timeoutMs: 5000, message: 'the leftover to start' });
    const id = await single.acquire();
    assert.equal(id.uid, other.uids.first);
    assert.deepEqual(processesMatching(marker), []);
    await id.release(path.join(root, 'none-stale'));
  });

  it('runs a step as its uid and gid, without groups or capabilities, with no_new_privs and its limits', async () => {
    const id = await sandbox.acquire({ limits: { processes: 77, memoryBytes: 256 * 2 ** 20, fileBytes: 2 ** 20, cpuSeconds: 99_999_999 } });
    const ws = await workspaceFor(id, 'identity');
    try {
      const { out, exitCode } = await runAs(id, ws, 'id -u; id -g; id -G; grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)" /proc/self/status; ulimit -p; ulimit -d; ulimit -f; ulimit -t; pwd', 'a/b');
      assert.equal(exitCode, 0, out);
      const lines = out.trim().split('\n');
      assert.deepEqual(lines.slice(0, 3), [String(id.uid), String(id.gid), String(id.gid)]);
      for (const cap of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) assert.match(out, new RegExp(`${cap}:\\s+0+\\n`));
      assert.match(out, /NoNewPrivs:\s+1/);
      // pids asked below the maximum; the CPU time above it is capped at the maximum.
      assert.deepEqual(lines.slice(9, 13), ['77', String(256 * 1024), '2048', String(DEFAULT_STEP_LIMITS.cpuSeconds)]);
      assert.equal(lines[13], path.join(ws, 'a/b'));
      assert.equal((await stat(path.join(ws, 'a'))).uid, id.uid, 'the working dir is created by the run\'s uid');
    } finally {
      await id.release(ws);
    }
  });

  it('cannot reach into another run\'s workspace or processes', async () => {
    const a = await sandbox.acquire();
    const b = await sandbox.acquire();
    const wsA = await workspaceFor(a, 'stranger-a');
    const wsB = await workspaceFor(b, 'stranger-b');
    const marker = uniqueSleep();
    try {
      const holder = runAs(a, wsA, `echo secret > secret; sleep ${marker}`);
      await waitFor(() => processesMatching(marker).length > 0, { timeoutMs: 5000, message: 'a\'s step to start' });
      const [pid] = processesMatching(marker);
      const { out } = await runAs(b, wsB, `cat ${wsA}/secret 2>&1; ls ${root} 2>&1; kill -0 ${pid} 2>&1; echo end`);
      assert.match(out, /Permission denied/);
      assert.match(out, /Operation not permitted/);
      assert.doesNotMatch(out, /^secret$/m);
      await a.release(wsA);
      assert.equal((await holder).exitCode, 137, 'releasing a uid kills its processes');
    } finally {
      await a.release(wsA);
      await b.release(wsB);
    }
  });

  it('ends every process of the uid and removes its files in /tmp when the run is released', async () => {
    const id = await sandbox.acquire();
    const ws = await workspaceFor(id, 'leftovers');
    const marker = uniqueSleep();
    const { exitCode } = await runAs(id, ws, `setsid sleep ${marker} < /dev/null > /dev/null 2>&1 & echo x > /tmp/ka-sandbox-${marker}; mkdir /tmp/ka-sandbox-dir-${marker}`);
    assert.equal(exitCode, 0);
    await waitFor(() => processesMatching(marker).length > 0, { timeoutMs: 5000, message: 'the daemon to start' });
    await id.release(ws);
    assert.deepEqual(processesMatching(marker), []);
    assert.equal(await stat(`/tmp/ka-sandbox-${marker}`).catch(() => undefined), undefined);
    assert.equal(await stat(`/tmp/ka-sandbox-dir-${marker}`).catch(() => undefined), undefined);
  });

  it('gives a run that asks for network None only a loopback interface of its own', async () => {
    const id = await sandbox.acquire({ network: 'None' });
    const ws = await workspaceFor(id, 'network');
    try {
      const { out, exitCode } = await runAs(id, ws, 'ip -o link | cut -d: -f2; id -u');
      assert.equal(exitCode, 0, out);
      assert.deepEqual(out.trim().split('\n').map((l) => l.trim()), ['lo', String(id.uid)]);
      const host = execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' }).trim().split('\n');
      assert.ok(host.length > 1, 'the host has more than loopback, so the test tells them apart');
    } finally {
      await id.release(ws);
    }
  });
});
