import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { generateCA, issueCertificate } from '../../src/cli/certs.js';
import { acceptedFlags, flagsIn } from '../helpers/cli-flags.js';
import { repoRoot } from '../helpers/repo-root.js';

interface Healthcheck {
  test: string[];
  interval?: string;
}

interface Service {
  image?: string;
  build?: unknown;
  user?: string;
  entrypoint?: string[];
  command?: string[];
  environment?: unknown;
  ports?: string[];
  volumes?: string[];
  tmpfs?: string[];
  read_only?: boolean;
  cap_drop?: string[];
  cap_add?: string[];
  security_opt?: string[];
  network_mode?: string;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: Healthcheck;
  stop_grace_period?: string;
}

const root = repoRoot();
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };

function service(name: string): Service {
  const found = compose.services[name];
  assert.ok(found, `service ${name} is missing`);
  return found;
}

/** Value following `flag` in a command array. */
function flag(command: string[] | undefined, name: string): string | undefined {
  const i = command?.indexOf(name) ?? -1;
  return i < 0 ? undefined : command?.[i + 1];
}

/** The volume mounted at the directory holding `file` (`volume:dir[:ro]`), and whether read-only. */
function mountOf(svc: Service, file: string): { volume: string; readOnly: boolean } {
  const mount = (svc.volumes ?? []).map((v) => v.split(':')).find(([, dir]) => dir !== undefined && (file === dir || file.startsWith(`${dir}/`)));
  assert.ok(mount?.[0] && compose.volumes && mount[0] in compose.volumes, `${file} is on a named volume`);
  return { volume: mount[0], readOnly: mount[2] === 'ro' };
}

const authVolume = mountOf(service('redis-password'), '/var/run/secrets/kube-actions/redis/password').volume;

describe('docker-compose.yml', () => {
  it('has exactly redis, the one-shot redis-password, apiserver and worker', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), ['apiserver', 'redis', 'redis-password', 'worker']);
  });

  it('runs redis 7 with AOF on a named volume, the ACL config redis-password writes, and a health check that logs in', () => {
    const redis = service('redis');
    assert.equal(redis.image, 'redis:7-alpine');
    assert.equal(flag(redis.command, '--appendonly'), 'yes');
    const volume = redis.volumes?.[0]?.split(':');
    assert.equal(volume?.[1], '/data');
    assert.ok(compose.volumes !== undefined && volume?.[0] !== undefined && volume[0] in compose.volumes);
    const conf = redis.command?.[1] ?? '';
    assert.deepEqual([redis.command?.[0], path.posix.extname(conf)], ['redis-server', '.conf'], 'redis-server <config file> …');
    assert.deepEqual(mountOf(redis, conf), { volume: authVolume, readOnly: true });
    assert.deepEqual(redis.depends_on, { 'redis-password': { condition: 'service_completed_successfully' } });
    assert.equal(redis.healthcheck?.test[0], 'CMD-SHELL');
    assert.equal(
      redis.healthcheck.test[1],
      'REDISCLI_AUTH="$$(cat /var/run/secrets/kube-actions/redis/password)" redis-cli --user kube-actions ping | grep -q PONG',
    );
  });

  it('generates the password in a one-shot container without network, capabilities (but CHOWN) or a writable root', () => {
    const gen = service('redis-password');
    assert.deepEqual([gen.build, gen.image, gen.user], ['.', service('apiserver').image, '0']);
    assert.deepEqual(gen.entrypoint?.slice(0, 2), ['node', '-e']);
    assert.match(gen.entrypoint?.[2] ?? '', /crypto\.randomBytes\(32\)/);
    assert.deepEqual(mountOf(gen, '/var/run/secrets/kube-actions/redis/redis.conf'), { volume: authVolume, readOnly: false });
    assert.deepEqual([gen.network_mode, gen.read_only, gen.cap_drop, gen.cap_add], ['none', true, ['ALL'], ['CHOWN']]);
    assert.deepEqual(gen.security_opt, ['no-new-privileges:true']);
  });

  for (const name of ['apiserver', 'worker']) {
    it(`starts the ${name} from the same built image against the compose redis as user kube-actions, once redis is healthy`, () => {
      const svc = service(name);
      assert.equal(svc.build, '.');
      assert.equal(svc.image, service('apiserver').image);
      assert.equal(svc.command?.[0], name);
      assert.equal(flag(svc.command, '--redis-url'), 'redis://kube-actions@redis:6379');
      const file = flag(svc.command, '--redis-password-file') ?? '';
      assert.deepEqual(mountOf(svc, file), { volume: authVolume, readOnly: true });
      assert.equal(path.posix.basename(file), 'password');
      assert.deepEqual(svc.depends_on, { redis: { condition: 'service_healthy' } });
    });
  }

  it('puts no secret in any command line or environment', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      assert.equal(svc.environment, undefined, name);
      for (const arg of [...(svc.entrypoint ?? []), ...(svc.command ?? [])]) {
        assert.doesNotMatch(arg, /--(requirepass|masterauth|pass)\b|^-a$/, name);
        for (const url of arg.match(/\brediss?(\+\w+)?:\/\/[^\s'"]+/g) ?? []) assert.equal(new URL(url).password, '', `${name}: ${url}`);
      }
    }
  });

  it('runs the worker as root with exactly the capabilities step isolation needs, read-only, isolation required', () => {
    const worker = service('worker');
    assert.equal(worker.user, '0');
    assert.deepEqual(worker.cap_drop, ['ALL']);
    assert.deepEqual([...(worker.cap_add ?? [])].sort(), ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'KILL', 'SETGID', 'SETPCAP', 'SETUID']);
    assert.deepEqual(worker.security_opt, ['no-new-privileges:true']);
    assert.equal(worker.read_only, true);
    assert.equal(flag(worker.command, '--step-isolation'), 'required');
    assert.equal(flag(worker.command, '--step-network'), 'Host', 'None needs SYS_ADMIN and NET_ADMIN');
    assert.equal(mountOf(worker, flag(worker.command, '--workspace-dir') ?? '').readOnly, false);
    const lockDir = path.posix.dirname(flag(worker.command, '--step-uid-lock-dir') ?? '');
    assert.deepEqual(worker.tmpfs, ['/tmp', `${lockDir}:mode=0700,size=1m`]);
    assert.match(dockerfile, new RegExp(`install -d -m 0700 ${lockDir}\\b`), 'the image has it too');
  });

  for (const name of ['apiserver', 'worker']) {
    it(`passes the ${name} only flags \`kube-actions ${name}\` accepts`, () => {
      const command = service(name).command ?? [];
      const accepted = acceptedFlags(root, pkg.bin['kube-actions'] ?? '', name);
      assert.ok(flagsIn(command).length > 0);
      for (const f of flagsIn(command)) assert.ok(accepted.has(f), `${name} accepts ${f}`);
    });
  }

  it('publishes the apiserver on 8443, the port it serves', () => {
    const apiserver = service('apiserver');
    assert.equal(flag(apiserver.command, '--secure-port'), '8443');
    assert.deepEqual(apiserver.ports, ['8443:8443']);
    assert.match(dockerfile, /^EXPOSE 8443$/m);
  });

  it('health-checks the apiserver with a node script that passes on 200 from /readyz only', async () => {
    const test = service('apiserver').healthcheck?.test ?? [];
    assert.deepEqual(test.slice(0, 3), ['CMD', 'node', '-e']);
    const script = test[3] ?? '';
    assert.match(script, /https:\/\/localhost:8443\/readyz/);

    const ca = await generateCA('healthcheck-ca');
    const serving = await issueCertificate(ca, { commonName: 'localhost', dnsNames: ['localhost'], usage: 'server' });
    let status = 200;
    const paths: string[] = [];
    const server = https.createServer(serving, (req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(status).end();
    });
    await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
    try {
      const probe = script.replace('localhost:8443', `localhost:${(server.address() as AddressInfo).port}`);
      assert.equal(await exitCode(probe), 0);
      status = 503;
      assert.equal(await exitCode(probe), 1);
      assert.deepEqual(paths, ['/readyz', '/readyz']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    assert.equal(await exitCode(script.replace('localhost:8443', 'localhost:1')), 1, 'nothing listening');
  });
});

describe('Dockerfile', () => {
  it('builds on node:20-bookworm-slim with npm ci, build and prune', () => {
    assert.match(dockerfile, /^FROM node:20-bookworm-slim AS build$/m);
    assert.match(dockerfile, /^RUN npm ci && npm run build && npm prune --omit=dev$/m);
  });

  it('has setpriv and prlimit (util-linux) in the runtime stage, checked at build time', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    assert.match(runtime, /^RUN setpriv --version && prlimit --version$/m);
  });

  it('runs as 65532 from a runtime stage holding only dist, node_modules and package.json', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    assert.match(runtime, /^FROM node:20-bookworm-slim$/m);
    assert.match(runtime, /^USER 65532(:65532)?$/m);
    const copied = [...runtime.matchAll(/^COPY --from=build \/app\/(\S+) (\S+)$/gm)].map((m) => m[1]);
    assert.deepEqual(copied.sort(), ['dist', 'node_modules', 'package.json']);
    assert.doesNotMatch(runtime, /^COPY (?!--from=build)/m);
  });

  it('gives the apiserver and the worker time for their graceful shutdown before SIGKILL', () => {
    const seconds = (v: string | undefined): number => Number(/^(\d+)s$/.exec(v ?? '')?.[1] ?? NaN);
    // --shutdown-grace-period defaults to 25s; a worker may then wait --kill-grace-period (10s) for its steps.
    assert.ok(seconds(service('apiserver').stop_grace_period) > 25);
    assert.ok(seconds(service('worker').stop_grace_period) > 25 + 10);
  });

  it("has an ENTRYPOINT that runs package.json's bin.kube-actions under tini, installed in the runtime stage", () => {
    const line = dockerfile.split('\n').filter((l) => l.startsWith('ENTRYPOINT ')).at(-1) ?? '';
    const entrypoint = JSON.parse(line.slice('ENTRYPOINT '.length)) as string[];
    const bin = pkg.bin['kube-actions'];
    assert.ok(bin !== undefined);
    assert.ok(existsSync(path.join(root, bin)), `${bin} is what the build makes`);
    assert.deepEqual(entrypoint, ['/usr/bin/tini', '--', 'node', path.posix.join('/app', bin)]);
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    // Debian's tini package installs /usr/bin/tini.
    assert.match(runtime, /^RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf \/var\/lib\/apt\/lists\/\*$/m);
  });
});

function exitCode(script: string): Promise<number> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['-e', script], { cwd: os.tmpdir() });
    child.on('exit', (code) => resolve(code ?? -1));
  });
}
