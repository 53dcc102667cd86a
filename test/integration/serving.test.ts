// Serving: certificate files are reloaded as they change; requests that are not long-running
// end with 504 after --request-timeout, watches do not.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { generateCA, issueCertificate, type PemKeyPair } from '../../src/cli/certs.js';
import { type ApiServerProcess, startApiServerProcess } from '../helpers/components.js';
import { kubeRequest, openWatch } from '../helpers/kube-http.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

function servedFingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      resolve(s.getPeerCertificate().fingerprint256);
      s.end();
    });
    s.on('error', reject);
  });
}

describe('serving', { timeout: 90_000 }, () => {
  let redis: TestRedis;
  let dir: string;
  let api: ApiServerProcess;
  let ca: PemKeyPair;
  let certFile: string;
  let keyFile: string;
  const issue = () => issueCertificate(ca, { commonName: 'kube-actions-apiserver', dnsNames: ['localhost'], ips: ['127.0.0.1'], usage: 'server' });
  before(async () => {
    redis = await startTestRedis();
    dir = await mkdtemp(path.join(os.tmpdir(), 'kube-actions-serving-'));
    ca = await generateCA('serving-test-ca');
    const first = await issue();
    certFile = path.join(dir, 'tls.crt');
    keyFile = path.join(dir, 'tls.key');
    await writeFile(certFile, first.cert);
    await writeFile(keyFile, first.key);
    await mkdir(path.join(dir, 'api', 'certs'), { recursive: true });
    await writeFile(path.join(dir, 'api', 'certs', 'ca.crt'), ca.cert);
    api = await startApiServerProcess({
      redisUrl: redis.url, dir: path.join(dir, 'api'),
      args: ['--tls-cert-file', certFile, '--tls-private-key-file', keyFile, '--request-timeout', '1s'],
    });
  });
  after(async () => {
    await api?.stop();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves a rotated certificate without a restart', async () => {
    const port = Number(new URL(api.target.url).port);
    const before = await servedFingerprint(port, ca.cert);
    const next = await issue();
    await writeFile(keyFile, next.key);
    await writeFile(certFile, next.cert);
    await waitFor(async () => (await servedFingerprint(port, ca.cert)) !== before, { timeoutMs: 15_000, intervalMs: 200, message: 'the new certificate to be served' });
  });

  it('ends a request that is not long-running with 504 Timeout, and not a watch', async () => {
    const started = Date.now();
    const slow = await kubeRequest(api.target, '/apis/kubeactions.dev/v1alpha1/namespaces/default/workflowruns?resourceVersion=999999999');
    assert.equal(slow.status, 504);
    const status = slow.json<{ reason: string; message: string; code: number }>();
    assert.deepEqual([status.reason, status.message, status.code], ['Timeout', 'Timeout: request did not complete within the allotted timeout', 504]);
    assert.ok(Date.now() - started < 2900, 'cut at about 1 s, before the 3 s wait for the resourceVersion ends');

    const shorter = await kubeRequest(api.target, '/apis/kubeactions.dev/v1alpha1/namespaces/default/workflowruns?resourceVersion=999999999&timeout=200ms');
    assert.equal(shorter.status, 504);
    const bad = await kubeRequest(api.target, '/apis/kubeactions.dev/v1alpha1/namespaces/default/workflowruns?timeout=soon');
    assert.equal(bad.status, 400);
    assert.match(bad.json<{ message: string }>().message, /invalid timeout specified in the request URL/);
    assert.equal((await kubeRequest(api.target, '/apis/kubeactions.dev/v1alpha1/namespaces/default/workflowruns?timeout=32s')).status, 200);

    const watch = await openWatch(api.target, '/apis/kubeactions.dev/v1alpha1/namespaces/default/workflowruns?watch=true&timeoutSeconds=3', {});
    const t0 = Date.now();
    await watch.done;
    assert.ok(Date.now() - t0 >= 2500, 'the watch ran to its own timeoutSeconds, past --request-timeout');
  });
});
