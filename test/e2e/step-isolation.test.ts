// The hostile-step suite (issue 9, README "Security"): one WorkflowRun per attack against the real
// `kube-actions dev` (apiserver and worker in one process, with its private, authenticated Redis)
// while another run, the victim, holds a secret in its workspace and a process. Each attack's
// script prints BREACH and fails when it gets through, BLOCKED when it is stopped; every attack
// must be blocked, the server, its Redis and the victim must carry on, and a dump of Redis taken
// with the real credentials must show no change but the attacking runs' own records.
//
// KA_HOSTILE_ISOLATION=off runs the same attacks with `--step-isolation=off`, to see them get
// through (they must then fail); the default is `required`, so a worker that cannot isolate fails
// the suite instead of passing it unisolated.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ChannelClient, remoteCommandPath } from '../helpers/channel-client.js';
import { processesMatching, uniqueSleep } from '../helpers/procs.js';
import { diffSnapshots, type RedisSnapshot, snapshotRedis } from '../helpers/hostile/redis-snapshot.js';
import { devRedis, type DevRedis } from '../helpers/dev-redis.js';
import { type Run, RunClient } from '../helpers/runs.js';
import { type DevServer, startDevServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const NS = 'hostile-steps';
const ISOLATION = process.env['KA_HOSTILE_ISOLATION'] ?? 'required';

/** Shell functions every attack script starts with. */
const PRELUDE = `
breach() { echo "BREACH: $*"; exit 1; }
blocked() { echo "BLOCKED: $*"; }
try_read() { if cat -- "$1" > /dev/null 2>&1; then breach "read $1"; else blocked "read $1"; fi; }
try_list() { if ls -- "$1" > /dev/null 2>&1; then breach "listed $1"; else blocked "list $1"; fi; }
try_write() { if (echo pwned > "$1") 2> /dev/null; then breach "wrote $1"; else blocked "write $1"; fi; }
try_signal() { for s in 0 STOP KILL; do if kill -$s "$1" 2> /dev/null; then breach "kill -$s $1"; fi; done; blocked "signal $1"; }
try_trace() {
  if (exec 3< "/proc/$1/mem") 2> /dev/null; then breach "opened /proc/$1/mem"; fi
  timeout 3 strace -qq -p "$1" -o /dev/null 2> /dev/null; rc=$?
  if [ "$rc" = 124 ]; then breach "strace attached to $1"; fi
  blocked "trace $1 (strace exit $rc)"
}
try_proc() {
  try_read "/proc/$1/environ"; try_read "/proc/$1/maps"; try_read "/proc/$1/stack"
  try_list "/proc/$1/fd"; try_list "/proc/$1/cwd/"; try_list "/proc/$1/root/"
  try_trace "$1"; try_signal "$1"
}
`;

/** `redis-cli` over TCP without credentials: PING, a write, a read of the keyspace. */
function redisAttack(port: number): string {
  return `
for cmd in PING "SET kube-actions-pwned 1" DBSIZE "SCAN 0" "CONFIG GET dir" "ACL WHOAMI"; do
  out=$(redis-cli -h 127.0.0.1 -p ${port} $cmd 2>&1)
  case "$out" in *NOAUTH*|*"Authentication required"*|*NOPERM*) blocked "redis $cmd: $out" ;; *) breach "redis $cmd answered: $out" ;; esac
done
if env | grep -i -E '^(redis|[^=]*password|[^=]*token)'; then breach "credentials in the environment"; fi
blocked "no credential in the environment"`;
}

function script(body: string): string {
  return `${PRELUDE}\n${body}\necho ATTACK-DONE`;
}

/** Every file under `dir` (as root sees it), except the subtrees in `skip`. */
async function filesUnder(dir: string, skip: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (skip.includes(p)) continue;
    if (entry.isDirectory()) out.push(p, ...(await filesUnder(p, skip)));
    else out.push(p);
  }
  return out;
}

function hasStrace(): boolean {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('hostile steps cannot reach the control plane, its credentials or other runs', { timeout: 240_000 }, () => {
  let server: DevServer;
  let redis: DevRedis;
  let runs: RunClient;
  let victim: { name: string; workspace: string; pid: number; hold: string };
  let before_: RedisSnapshot;
  const attackers: string[] = [];

  /** Creates a run and waits until it has finished; returns it with its log. */
  async function attack(name: string, spec: Record<string, unknown>, timeoutMs = 60_000): Promise<{ run: Run; log: string }> {
    attackers.push(name);
    await runs.create(NS, { name }, spec);
    const run = await runs.untilPhase(NS, name, ['Succeeded', 'Failed', 'Cancelled'], timeoutMs);
    const log = (await runs.log(NS, name)).body;
    return { run, log };
  }

  /** The attack ran to its end, nothing got through, something was blocked. */
  function assertBlocked(result: { run: Run; log: string }): void {
    assert.doesNotMatch(result.log, /BREACH/, result.log);
    assert.match(result.log, /BLOCKED/, result.log);
    assert.match(result.log, /ATTACK-DONE/, result.log);
    assert.equal(result.run.status?.phase, 'Succeeded', result.log);
  }

  /** The server answers and the victim still runs, its secret and process intact. */
  async function assertUnharmed(): Promise<void> {
    assert.equal(server.proc.exitCode, null, 'the dev server exited');
    assert.equal((await runs.raw('GET', '/readyz')).status, 200);
    assert.equal((await runs.get(NS, victim.name))?.status?.phase, 'Running');
    assert.equal(await readFile(path.join(victim.workspace, 'secret.txt'), 'utf8'), 'victim-secret\n');
    assert.deepEqual(processesMatching(victim.hold).length > 0, true, 'the victim\'s process is gone');
  }

  before(async () => {
    assert.ok(hasStrace(), 'the hostile-step suite needs strace on PATH (apt-get install strace)');
    server = await startDevServer({ args: ['--step-isolation', ISOLATION] });
    redis = await devRedis(server.dataDir);
    runs = new RunClient(server);
    const hold = uniqueSleep();
    await runs.create(NS, { name: 'victim' }, {
      steps: [{ name: 'hold', run: `echo victim-secret > secret.txt && chmod 600 secret.txt && echo "ws=$KUBEACTIONS_WORKSPACE pid=$$" && sleep ${hold}` }],
    });
    let log = '';
    await waitFor(async () => /ws=(\S+) pid=(\d+)/.test((log = (await runs.log(NS, 'victim')).body)), { timeoutMs: 30_000, message: 'the victim to start' });
    const m = /ws=(\S+) pid=(\d+)/.exec(log);
    victim = { name: 'victim', workspace: m?.[1] ?? '', pid: Number(m?.[2]), hold };
    before_ = await snapshotRedis(redis.url);
  });

  after(async () => {
    await server?.stop();
    runs?.close();
  });

  it('cannot talk to Redis, which has no credential within reach', async () => {
    assertBlocked(await attack('redis', { steps: [{ name: 'a', run: script(redisAttack(redis.port)) }] }));
    await assertUnharmed();
  });

  it('cannot read, list or write anything kube-actions keeps in its data dir (Redis data, admin token, certificates, kubeconfig)', async () => {
    const workspaces = path.join(server.dataDir, 'workspaces');
    const files = await filesUnder(server.dataDir, [workspaces]);
    assert.ok(files.some((f) => f.endsWith('admin-token')) && files.some((f) => f.includes(`${path.sep}redis${path.sep}`)), files.join('\n'));
    const body = [
      `try_list ${server.dataDir}`,
      ...files.map((f) => `try_read '${f}'`),
      `try_write '${path.join(server.dataDir, 'admin-token')}'`,
      `try_write '${path.join(server.dataDir, 'planted')}'`,
    ].join('\n');
    assertBlocked(await attack('data-dir', { steps: [{ name: 'a', run: script(body) }] }));
    await assertUnharmed();
  });

  it('cannot see the environment, memory, descriptors or files of the server and its Redis, nor signal or trace them', async () => {
    const body = [server.proc.pid, redis.pid].map((pid) => `try_proc ${pid}`).join('\n');
    assertBlocked(await attack('control-plane-processes', { steps: [{ name: 'a', run: script(body) }] }));
    await assertUnharmed();
  });

  it('cannot read, write or list another run\'s workspace, nor signal, trace or inspect its processes', async () => {
    const body = [
      `try_list '${victim.workspace}'`,
      `try_read '${path.join(victim.workspace, 'secret.txt')}'`,
      `try_write '${path.join(victim.workspace, 'pwned')}'`,
      `try_list '${path.dirname(victim.workspace)}'`,
      `try_proc ${victim.pid}`,
      // The victim's process runs as a uid of its own, not the attacker's.
      `[ "$(stat -c %u /proc/${victim.pid})" != "$(id -u)" ] || breach "the victim runs as my uid"`,
    ].join('\n');
    assertBlocked(await attack('other-run', { steps: [{ name: 'a', run: script(body) }] }));
    await assertUnharmed();
    assert.equal((await stat(path.join(victim.workspace, 'pwned')).catch(() => undefined)), undefined);
  });

  it('an exec session into a run is held to the same walls', async () => {
    const hold = uniqueSleep();
    attackers.push('exec-holder');
    await runs.create(NS, { name: 'exec-holder' }, { steps: [{ name: 'hold', run: `sleep ${hold}` }] });
    await runs.untilPhase(NS, 'exec-holder', ['Running']);
    await waitFor(() => processesMatching(hold).length > 0, { timeoutMs: 10_000, message: 'the holder step to start' });
    const body = script([
      redisAttack(redis.port),
      `try_read '${path.join(server.dataDir, 'admin-token')}'`,
      `try_proc ${server.proc.pid}`,
      `try_read '${path.join(victim.workspace, 'secret.txt')}'`,
      `try_proc ${victim.pid}`,
    ].join('\n'));
    const q = { command: ['/bin/sh', '-c', body], stdin: false, stdout: true, stderr: true, tty: false };
    const session = await ChannelClient.open(server, remoteCommandPath(NS, 'exec-holder', 'exec', q), ['v5.channel.k8s.io']);
    await session.closed;
    const out = session.output(1);
    assert.doesNotMatch(out, /BREACH/, out);
    assert.match(out, /BLOCKED/, out);
    assert.match(out, /ATTACK-DONE/, out);
    await runs.delete(NS, 'exec-holder');
    await waitFor(() => processesMatching(hold).length === 0, { timeoutMs: 15_000, message: 'the holder to be stopped' });
    await assertUnharmed();
  });

  it('a daemon it leaves behind (setsid) and its files in /tmp end with the run', async () => {
    const marker = uniqueSleep();
    const body = `setsid sleep ${marker} < /dev/null > /dev/null 2>&1 &
echo leftover > /tmp/kube-actions-leftover-${marker}
i=0; while [ -z "$(pgrep -f 'sleep ${marker}')" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
blocked "daemon started: $(pgrep -f 'sleep ${marker}')"`;
    assertBlocked(await attack('daemon', { steps: [{ name: 'a', run: script(body) }] }));
    await waitFor(() => processesMatching(marker).length === 0, { timeoutMs: 15_000, message: `the daemon (sleep ${marker}) to be gone` });
    await waitFor(async () => (await stat(`/tmp/kube-actions-leftover-${marker}`).catch(() => undefined)) === undefined,
      { timeoutMs: 15_000, message: 'its /tmp file to be removed' });
    await assertUnharmed();
  });

  it('a fork bomb ends its run at its process limit (its shell cannot fork), not the worker', async () => {
    const { run, log } = await attack('fork-bomb', {
      timeoutSeconds: 3,
      resources: { limits: { pids: 64 } },
      steps: [{ name: 'a', run: 'echo "uid=$(id -u)"; bomb() { bomb | bomb & }; bomb; while :; do bomb 2> /dev/null; done' }],
    });
    assert.equal(run.status?.phase, 'Failed', log);
    const uid = /uid=(\d+)/.exec(log)?.[1];
    assert.ok(uid, log);
    await waitFor(() => uidProcesses(Number(uid)).length === 0, { timeoutMs: 15_000, message: `the processes of uid ${uid} to be gone` });
    await assertUnharmed();
  });

  it('a memory hog fails at its memory limit', async () => {
    const body = `awk 'BEGIN { s = "x"; while (1) s = s s }' 2>&1; rc=$?
[ "$rc" = 0 ] && breach "awk grew without bound"; blocked "memory: awk ended with $rc"`;
    assertBlocked(await attack('memory-hog', { resources: { limits: { memory: '64Mi' } }, steps: [{ name: 'a', run: script(body) }] }));
    await assertUnharmed();
  });

  it('a CPU hog is killed at its CPU time limit', async () => {
    const body = `sh -c 'while :; do :; done'; rc=$?
[ "$rc" = 0 ] && breach "the loop ended by itself"; blocked "cpu: the loop ended with $rc"`;
    assertBlocked(await attack('cpu-hog', { resources: { limits: { 'cpu-seconds': 1 } }, steps: [{ name: 'a', run: script(body) }] }));
    await assertUnharmed();
  });

  it('filling the disk stops at its file size limit', async () => {
    const body = `head -c 8M /dev/zero > big; size=$(wc -c < big)
[ "$size" -gt 1048576 ] && breach "wrote $size bytes"; blocked "disk: the file stopped at $size bytes"`;
    assertBlocked(await attack('disk-fill', { resources: { limits: { 'ephemeral-storage': '1Mi' } }, steps: [{ name: 'a', run: script(body) }] }));
    await assertUnharmed();
  });

  it('Redis shows no change but the attacking runs\' own records', async () => {
    const after_ = await snapshotRedis(redis.url);
    const own = [...attackers.map((name) => `${NS}/${name}`)];
    for (const name of attackers) {
      const run = await runs.get(NS, name);
      if (run) own.push(run.metadata.uid);
    }
    const foreign = diffSnapshots(before_, after_).filter((line) => !own.some((o) => line.includes(o)) && !SHARED_BOOKKEEPING.includes(line));
    assert.deepEqual(foreign, []);
    assert.equal(after_.has('kube-actions-pwned'), false);
  });
});

/** Live (non-zombie) processes whose real uid is `uid`. */
function uidProcesses(uid: number): number[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).filter((pid) => {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'latin1');
    } catch {
      return false;
    }
    return /^Uid:\s+(\d+)/m.exec(status)?.[1] === String(uid) && !/^State:\s+[ZX]/m.test(status);
  }).map(Number);
}

/** Keys every run changes (indexes, BullMQ's queue lists, counters and events, worker heartbeats), which name no run. */
const SHARED_BOOKKEEPING = [
  'changed {ka}:r:workflowruns:active',
  'changed {ka}:r:workflowruns:changes',
  'changed {ka}:r:workflowruns:idx',
  'changed {ka}:r:workflowruns:rv',
  'changed {ka}:workflowruns:active',
  'changed {ka}:workflowruns:events',
  'changed {ka}:workflowruns:id',
  'changed {ka}:workflowruns:stalled-check',
  'added {ka}:workflowruns:stalled (set)',
  'changed {ka}:workflowruns:stalled',
  'removed {ka}:workflowruns:stalled',
  'changed {ka}:workers',
];
