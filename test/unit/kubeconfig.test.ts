import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { newClusters, newContexts, newUsers } from '@kubernetes/client-node/dist/config_types.js';
import { parse } from 'yaml';
import { ensureServingCertificate } from '../../src/cli/certs.js';
import { ensureAdminToken, generateToken, writeKubeconfig } from '../../src/cli/kubeconfig.js';

const run = promisify(execFile);
const TOKEN = generateToken();
const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kube-actions-kubeconfig-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the real kubectl with an isolated HOME (its cache must not touch the user's). */
async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run('kubectl', args, { env: { ...process.env, HOME: dir } });
  return stdout;
}

describe('writeKubeconfig', () => {
  // KubeConfig itself cannot be imported on Node 20: client-node 2.0.1 loads undici 8, which needs
  // Node >= 22.19. These are the parsers KubeConfig.loadFromString runs on the file's YAML.
  it('writes a 0600 kubeconfig that @kubernetes/client-node parses', async () => {
    const file = path.join(dir, 'nested', 'kubeconfig');
    await writeKubeconfig(file, { server: 'https://127.0.0.1:8443', caPem: CA_PEM, token: TOKEN });
    assert.equal((await stat(file)).mode & 0o777, 0o600);

    const obj = parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    assert.equal(obj['current-context'], 'kube-actions');
    assert.deepEqual(newContexts(obj['contexts']), [
      { name: 'kube-actions', cluster: 'kube-actions', user: 'kube-actions-admin', namespace: 'default' },
    ]);
    const [cluster, ...moreClusters] = newClusters(obj['clusters']);
    assert.equal(moreClusters.length, 0);
    assert.equal(cluster?.name, 'kube-actions');
    assert.equal(cluster?.server, 'https://127.0.0.1:8443');
    assert.equal(Buffer.from(cluster?.caData ?? '', 'base64').toString('utf8'), CA_PEM);
    assert.equal(cluster?.skipTLSVerify, false);
    const [user, ...moreUsers] = newUsers(obj['users']);
    assert.equal(moreUsers.length, 0);
    assert.equal(user?.name, 'kube-actions-admin');
    assert.equal(user?.token, TOKEN);
  });

  it('honours the names given and is read the same way by kubectl config view', async () => {
    const file = path.join(dir, 'named');
    await writeKubeconfig(file, {
      server: 'https://localhost:9443',
      caPem: CA_PEM,
      token: TOKEN,
      user: 'alice',
      cluster: 'dev',
      context: 'dev-ctx',
      namespace: 'ci',
    });
    const view = JSON.parse(await kubectl('config', 'view', '--kubeconfig', file, '--raw', '-o', 'json')) as {
      'current-context': string;
      clusters: { name: string; cluster: { server: string; 'certificate-authority-data': string } }[];
      users: { name: string; user: { token: string } }[];
      contexts: { name: string; context: { cluster: string; user: string; namespace: string } }[];
    };
    assert.equal(view['current-context'], 'dev-ctx');
    assert.deepEqual(view.contexts, [{ name: 'dev-ctx', context: { cluster: 'dev', user: 'alice', namespace: 'ci' } }]);
    assert.equal(view.clusters[0]?.name, 'dev');
    assert.equal(view.clusters[0]?.cluster.server, 'https://localhost:9443');
    const caData = view.clusters[0]?.cluster['certificate-authority-data'] ?? '';
    assert.equal(Buffer.from(caData, 'base64').toString(), CA_PEM);
    assert.deepEqual(view.users, [{ name: 'alice', user: { token: TOKEN } }]);
  });

  it('lets kubectl verify the serving certificate and send the token', async () => {
    const certDir = path.join(dir, 'certs');
    const serving = await ensureServingCertificate({ certDir, hostnames: ['localhost'], ips: ['127.0.0.1'] });
    const seen: string[] = [];
    const server = https.createServer({ cert: serving.cert, key: serving.key }, (req, res) => {
      seen.push(`${req.url} ${req.headers.authorization}`);
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const file = path.join(dir, 'live');
      const { port } = server.address() as AddressInfo;
      await writeKubeconfig(file, { server: `https://127.0.0.1:${port}`, caPem: serving.ca, token: TOKEN });
      assert.equal(await kubectl('--kubeconfig', file, 'get', '--raw', '/readyz'), 'ok');
      assert.ok(seen.includes(`/readyz Bearer ${TOKEN}`), seen.join(', '));
      assert.ok(seen.every((request) => request.endsWith(` Bearer ${TOKEN}`)), seen.join(', '));
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('tokens', () => {
  it('generateToken returns 32 random bytes as base64url', () => {
    const token = generateToken();
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(token, 'base64url').length, 32);
    assert.notEqual(generateToken(), token);
  });

  it('ensureAdminToken keeps one token in <dataDir>/admin-token (0600) across calls', async () => {
    const dataDir = path.join(dir, 'data');
    const first = await ensureAdminToken(dataDir);
    const file = path.join(dataDir, 'admin-token');
    assert.equal((await readFile(file, 'utf8')).trim(), first);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(await ensureAdminToken(dataDir), first);

    await writeFile(file, '\n');
    const replaced = await ensureAdminToken(dataDir);
    assert.notEqual(replaced, first);
    assert.match(replaced, /^[A-Za-z0-9_-]{43}$/);
  });
});
