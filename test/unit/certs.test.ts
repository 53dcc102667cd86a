import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { ensureServingCertificate, generateCA, issueCertificate, type PemKeyPair } from '../../src/cli/certs.js';

const NAMES = { hostnames: ['localhost', 'kube-actions.kube-actions.svc'], ips: ['127.0.0.1', '::1'] };

interface Endpoint {
  port: number;
  close: () => Promise<void>;
}

/** A real HTTPS server on 127.0.0.1 answering "ok" (and the client's CN when it sent a certificate). */
async function serve(opts: https.ServerOptions): Promise<Endpoint> {
  const server = https.createServer(opts, (req, res) => {
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate();
    res.end(socket.authorized ? `ok ${peer.subject.CN}` : 'ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** GET / over HTTPS trusting only `ca`; `servername` overrides the name the certificate must match. */
interface GetOptions {
  host: string;
  port: number;
  ca: string;
  servername?: string;
  client?: PemKeyPair;
}

function get(opts: GetOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      {
        host: opts.host,
        port: opts.port,
        path: '/',
        ca: opts.ca,
        agent: false,
        ...(opts.servername === undefined ? {} : { servername: opts.servername }),
        ...(opts.client === undefined ? {} : { cert: opts.client.cert, key: opts.client.key }),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve(body));
      },
    );
    req.on('error', reject);
  });
}

describe('ensureServingCertificate', () => {
  let certDir: string;
  before(async () => {
    certDir = await mkdtemp(path.join(os.tmpdir(), 'kube-actions-certs-'));
  });
  after(async () => {
    await rm(certDir, { recursive: true, force: true });
  });

  it('serves TLS that a client trusting only ca.crt accepts for localhost and 127.0.0.1, not other names', async () => {
    const serving = await ensureServingCertificate({ certDir, ...NAMES });
    const ca = await readFile(serving.caFile, 'utf8');
    const server = await serve({ cert: await readFile(serving.certFile), key: await readFile(serving.keyFile) });
    try {
      assert.equal(await get({ host: 'localhost', port: server.port, ca }), 'ok');
      assert.equal(await get({ host: '127.0.0.1', port: server.port, ca }), 'ok');
      await assert.rejects(get({ host: '127.0.0.1', port: server.port, ca, servername: 'elsewhere.example.com' }), {
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      });
      const otherCA = (await generateCA('someone-else')).cert;
      await assert.rejects(get({ host: 'localhost', port: server.port, ca: otherCA }), {
        code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      });
    } finally {
      await server.close();
    }
  });

  it('writes a CA named kube-actions-ca@<time>, SANs for every name, a 0600 PKCS#8 key', async () => {
    const serving = await ensureServingCertificate({ certDir, ...NAMES });
    const cert = new X509Certificate(serving.cert);
    const ca = new X509Certificate(serving.ca);
    assert.match(ca.subject, /^CN=kube-actions-ca@\d+$/);
    assert.equal(ca.ca, true);
    assert.equal(cert.ca, false);
    assert.equal(cert.checkIssued(ca), true);
    const svc = 'kube-actions.kube-actions.svc';
    assert.equal(cert.checkHost(svc, { subject: 'never' }), svc);
    assert.equal(cert.checkIP('::1'), '::1');
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    const lifetimeDays = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
    assert.ok(lifetimeDays > 364 && lifetimeDays <= 365, `lifetime ${lifetimeDays} days`);
    assert.match(serving.key, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.equal((await stat(serving.keyFile)).mode & 0o777, 0o600);
  });

  it('reuses the files on a later call, also for a subset of the names', async () => {
    const first = await ensureServingCertificate({ certDir, ...NAMES });
    const again = await ensureServingCertificate({ certDir, ...NAMES });
    const subset = await ensureServingCertificate({ certDir, hostnames: ['localhost'], ips: [] });
    assert.equal(again.cert, first.cert);
    assert.equal(again.key, first.key);
    assert.equal(subset.ca, first.ca);
  });

  it('regenerates the CA and certificate when a requested name is not covered', async () => {
    const first = await ensureServingCertificate({ certDir, ...NAMES });
    const hostnames = [...NAMES.hostnames, 'kube-actions.example.com'];
    const second = await ensureServingCertificate({ certDir, hostnames, ips: NAMES.ips });
    assert.notEqual(second.cert, first.cert);
    assert.notEqual(second.ca, first.ca);
    assert.equal(new X509Certificate(second.cert).checkHost('kube-actions.example.com'), 'kube-actions.example.com');
    assert.equal(await readFile(second.certFile, 'utf8'), second.cert);
    assert.equal(await readFile(second.caFile, 'utf8'), second.ca);
  });

  it('regenerates a certificate that expires within 30 days', async () => {
    const ca = await generateCA('short-lived-ca');
    const short = await issueCertificate(ca, {
      commonName: 'localhost',
      dnsNames: NAMES.hostnames,
      ips: NAMES.ips,
      usage: 'server',
      validityDays: 10,
    });
    await writeFile(path.join(certDir, 'apiserver.crt'), short.cert);
    await writeFile(path.join(certDir, 'apiserver.key'), short.key);
    await writeFile(path.join(certDir, 'ca.crt'), ca.cert);
    const renewed = await ensureServingCertificate({ certDir, ...NAMES });
    assert.notEqual(renewed.cert, short.cert);
    assert.ok(Date.parse(new X509Certificate(renewed.cert).validTo) - Date.now() > 300 * 86_400_000);
  });

  it('regenerates when a file does not parse or the key does not match', async () => {
    await writeFile(path.join(certDir, 'apiserver.key'), 'not a key');
    const fixed = await ensureServingCertificate({ certDir, ...NAMES });
    assert.match(await readFile(fixed.keyFile, 'utf8'), /BEGIN PRIVATE KEY/);

    const stranger = await issueCertificate(await generateCA('x'), { commonName: 'x', usage: 'server' });
    await writeFile(fixed.keyFile, stranger.key);
    const again = await ensureServingCertificate({ certDir, ...NAMES });
    assert.notEqual(again.cert, fixed.cert);
  });
});

describe('issueCertificate', () => {
  it('issues client certificates with groups as O= that a server verifying against the CA accepts', async () => {
    const clientCA = await generateCA('client-ca');
    const serverCA = await generateCA('server-ca');
    const serving = await issueCertificate(serverCA, {
      commonName: 'server',
      dnsNames: ['localhost'],
      usage: 'server',
    });
    const client = await issueCertificate(clientCA, {
      commonName: 'front-proxy-client',
      organizations: ['system:masters', 'team, with comma'],
      usage: 'client',
    });
    const parsed = new X509Certificate(client.cert);
    assert.equal(parsed.subject, 'O=system:masters\nO=team\\, with comma\nCN=front-proxy-client');
    assert.deepEqual(parsed.keyUsage, ['1.3.6.1.5.5.7.3.2']);

    const server = await serve({ ...serving, ca: clientCA.cert, requestCert: true, rejectUnauthorized: false });
    try {
      const opts = { host: 'localhost', port: server.port, ca: serverCA.cert };
      assert.equal(await get({ ...opts, client }), 'ok front-proxy-client');
      const serverUsage = await issueCertificate(clientCA, { commonName: 'not-a-client', usage: 'server' });
      assert.equal(await get({ ...opts, client: serverUsage }), 'ok', 'a serverAuth-only certificate is not a client');
      assert.equal(await get(opts), 'ok');
    } finally {
      await server.close();
    }
  });

  it('rejects an IP SAN that is not an IP address', async () => {
    const ca = await generateCA('ca');
    await assert.rejects(issueCertificate(ca, { commonName: 'x', ips: ['localhost'], usage: 'server' }), TypeError);
  });
});
