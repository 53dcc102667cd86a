// The Redis authentication of the deployment files, run for real: the StatefulSet's init
// container script and docker-compose's redis-password script write an ACL config from a
// password, a real redis-server started with the args they give it then refuses every client
// but user kube-actions with that password, and the probes that log in pass (and fail with a
// wrong password).
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { V1StatefulSet } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { type KubeObject, find, manifestsDir, readManifest } from '../helpers/manifests.js';
import { repoRoot } from '../helpers/repo-root.js';

const secretDir = '/var/run/secrets/kube-actions/redis';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kube-actions-redis-auth-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `redis-cli -p port …` with `env` added; stdout and stderr together, and the exit status. */
function cli(port: number, args: string[], env: Record<string, string> = {}): { out: string; status: number | null } {
  const r = spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { out: r.stdout + r.stderr, status: r.status };
}

/** A redis-server run with `args` (its config file first) on a free port, up once it answers; `--dir` here wins. */
async function startRedis(args: string[], dir: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn('redis-server', [...args, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir], { stdio: 'ignore' });
  after(() => child.kill('SIGKILL'));
  for (let i = 0; i < 100 && cli(port, ['ping']).out.trim() === ''; i++) await new Promise((r) => setTimeout(r, 50));
  return { port, child };
}

/** What every deployment's Redis must do: refuse everyone but kube-actions with its password. */
function assertRequiresPassword(port: number, password: string): void {
  assert.match(cli(port, ['ping']).out, /NOAUTH/, 'a client that has not logged in can do nothing');
  assert.match(cli(port, ['--user', 'default', '--pass', password, 'ping']).out, /WRONGPASS|NOAUTH/, 'user default is off');
  assert.match(cli(port, ['--user', 'kube-actions', 'ping'], { REDISCLI_AUTH: 'wrong' }).out, /WRONGPASS/);
  const auth = { REDISCLI_AUTH: password };
  assert.equal(cli(port, ['--user', 'kube-actions', 'set', '{ka}:probe', 'x'], auth).out.trim(), 'OK');
  assert.equal(cli(port, ['--user', 'kube-actions', 'eval', "return redis.call('get', KEYS[1])", '1', '{ka}:probe'], auth).out.trim(), 'x');
}

/** Runs a probe's shell command against `port` (redis-cli pointed at it), with `env`. */
function probe(command: string, port: number, env: Record<string, string>): number | null {
  const script = command.replaceAll('redis-cli ', `redis-cli -p ${port} `);
  return spawnSync('sh', ['-c', script], { env: { ...process.env, ...env } }).status;
}

describe('the in-cluster Redis StatefulSet', () => {
  const statefulSet = find<V1StatefulSet>([readManifest(path.join(manifestsDir, 'redis-statefulset.yaml'))[0] as KubeObject], 'StatefulSet', 'kube-actions-redis');
  const pod = statefulSet.spec?.template.spec;
  const init = pod?.initContainers?.[0];
  const redis = pod?.containers[0];
  const dir = path.join(tmp, 'statefulset');
  /** The pod's paths, under `dir`. */
  const local = (p: string) => (p === secretDir || p === '/etc/redis' || p === '/data' ? path.join(dir, p) : p);
  const initScript = (init?.command?.at(-1) ?? '').replaceAll(secretDir, local(secretDir)).replaceAll('/etc/redis/', `${local('/etc/redis')}/`);
  const runInit = (password: string | Buffer) => {
    writeFileSync(path.join(local(secretDir), 'password'), password);
    return spawnSync('sh', ['-euc', initScript], { encoding: 'utf8' });
  };
  for (const d of [secretDir, '/etc/redis', '/data']) mkdirSync(local(d), { recursive: true });

  it('refuses a short password, or one with a newline or space, with a message', () => {
    for (const bad of ['short', `${'a'.repeat(40)}\n`, `${'a'.repeat(20)} ${'a'.repeat(20)}`]) {
      const r = runInit(bad);
      assert.equal(r.status, 1, JSON.stringify(bad));
      assert.match(r.stderr, /the Secret kube-actions-redis needs a key password of 32 or more printable characters/);
    }
  });

  it('writes a 0600 config of its SHA-256 with which redis-server requires it, and the readiness probe logs in', async () => {
    const password = randomBytes(32).toString('hex');
    assert.equal(runInit(password).status, 0);
    const conf = redis?.args?.[1] ?? '';
    const written = local(path.posix.dirname(conf));
    const file = path.join(written, path.posix.basename(conf));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(!readFileSync(file, 'utf8').includes(password), 'only its hash');
    const args = (redis?.args ?? []).slice(1).map((a) => (a === conf ? file : local(a)));
    const { port } = await startRedis(args, local('/data'));
    assertRequiresPassword(port, password);
    const readiness = redis?.readinessProbe?.exec?.command ?? [];
    assert.deepEqual(readiness.slice(0, 2), ['sh', '-c']);
    assert.equal(probe(readiness[2] ?? '', port, { REDISCLI_AUTH: password }), 0);
    assert.notEqual(probe(readiness[2] ?? '', port, { REDISCLI_AUTH: 'wrong' }), 0);
    assert.notEqual(probe(readiness[2] ?? '', port, {}), 0);
  });
});

describe("docker-compose's redis-password and redis", () => {
  const compose = parse(readFileSync(path.join(repoRoot(), 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { entrypoint?: string[]; command?: string[]; healthcheck?: { test: string[] } }>;
  };
  const dir = path.join(tmp, 'compose');
  mkdirSync(dir);
  const script = (compose.services['redis-password']?.entrypoint?.[2] ?? '').replaceAll(secretDir, dir);
  const isRoot = process.getuid?.() === 0;

  it('generates a password once, 0440 for the apiserver\'s group, and an ACL config Redis reads', { skip: !isRoot && 'chown needs root' }, async () => {
    execFileSync(process.execPath, ['-e', script]);
    const password = readFileSync(path.join(dir, 'password'), 'utf8');
    assert.match(password, /^[0-9a-f]{64}$/);
    const owner = (f: string) => {
      const st = statSync(path.join(dir, f));
      return [st.uid, st.gid, st.mode & 0o777];
    };
    assert.deepEqual(owner('password'), [0, 65532, 0o440]);
    assert.deepEqual(owner('redis.conf'), [0, 1000, 0o440]);
    execFileSync(process.execPath, ['-e', script]);
    assert.equal(readFileSync(path.join(dir, 'password'), 'utf8'), password, 'kept on the next `up`');

    const command = compose.services['redis']?.command ?? [];
    const args = command.slice(1).map((arg) => arg.replaceAll(secretDir, dir));
    const { port } = await startRedis(args, dir);
    assertRequiresPassword(port, password);
    const test = compose.services['redis']?.healthcheck?.test ?? [];
    // Compose turns $$ into $; the check runs in the redis container, whose paths are the volume's.
    const healthcheck = (test[1] ?? '').replaceAll('$$', '$').replaceAll(secretDir, dir);
    assert.equal(probe(healthcheck, port, {}), 0);
    writeFileSync(path.join(dir, 'password'), 'wrong');
    assert.notEqual(probe(healthcheck, port, {}), 0);
  });
});
