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
  command?: string[];
  ports?: string[];
  volumes?: string[];
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

describe('docker-compose.yml', () => {
  it('has exactly redis, apiserver and worker', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), ['apiserver', 'redis', 'worker']);
  });

  it('runs redis 7 with AOF on a named volume and a redis-cli ping health check', () => {
    const redis = service('redis');
    assert.equal(redis.image, 'redis:7-alpine');
    assert.equal(flag(redis.command, '--appendonly'), 'yes');
    const volume = redis.volumes?.[0]?.split(':');
    assert.equal(volume?.[1], '/data');
    assert.ok(compose.volumes !== undefined && volume?.[0] !== undefined && volume[0] in compose.volumes);
    assert.deepEqual(redis.healthcheck?.test, ['CMD', 'redis-cli', 'ping']);
  });

  for (const name of ['apiserver', 'worker']) {
    it(`starts the ${name} from the same built image against the compose redis, once redis is healthy`, () => {
      const svc = service(name);
      assert.equal(svc.build, '.');
      assert.equal(svc.image, service('apiserver').image);
      assert.equal(svc.command?.[0], name);
      assert.equal(flag(svc.command, '--redis-url'), 'redis://redis:6379');
      assert.deepEqual(svc.depends_on, { redis: { condition: 'service_healthy' } });
    });
  }

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
