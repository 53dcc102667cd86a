// Client certificate chain verification (Go's x509 Verify for client auth) on certificates
// generated here: trusted CA, unknown CA, wrong extended key usage, expiry, bundles.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { CABundle, subjectOf, verifyClientChain } from '../../src/apiserver/auth/cert-chain.js';
import { generateCA, issueCertificate, type PemKeyPair } from '../../src/cli/certs.js';

const der = (pem: string): Buffer => new X509Certificate(pem).raw;

describe('verifyClientChain', () => {
  let ca: PemKeyPair;
  let other: PemKeyPair;
  let bundle: CABundle;

  before(async () => {
    [ca, other] = await Promise.all([generateCA('ca'), generateCA('other')]);
    bundle = new CABundle(ca.cert, 'test');
  });

  it('accepts a clientAuth certificate the CA signed and reads CN and every O', async () => {
    const carol = await issueCertificate(ca, { commonName: 'carol', organizations: ['dev', 'ops'], usage: 'client' });
    const leaf = verifyClientChain([der(carol.cert)], bundle);
    assert.deepEqual(subjectOf(leaf), { commonName: 'carol', organizations: ['dev', 'ops'] });
  });

  it('finds the signing CA anywhere in a bundle of several', async () => {
    const cert = await issueCertificate(ca, { commonName: 'x', usage: 'client' });
    const both = new CABundle(`${other.cert}\n${ca.cert}`, 'test');
    assert.equal(both.certs.length, 2);
    assert.equal(subjectOf(verifyClientChain([der(cert.cert)], both)).commonName, 'x');
  });

  it('refuses a certificate from another CA', async () => {
    const cert = await issueCertificate(other, { commonName: 'x', usage: 'client' });
    assert.throws(() => verifyClientChain([der(cert.cert)], bundle), /certificate signed by unknown authority/);
  });

  it('refuses a certificate whose extended key usage is serverAuth only', async () => {
    const cert = await issueCertificate(ca, { commonName: 'x', usage: 'server' });
    assert.throws(() => verifyClientChain([der(cert.cert)], bundle), /incompatible key usage/);
  });

  it('refuses a certificate outside its validity dates', async () => {
    const cert = await issueCertificate(ca, { commonName: 'x', usage: 'client' });
    assert.throws(() => verifyClientChain([der(cert.cert)], bundle, Date.now() + 400 * 86_400_000), /expired or is not yet valid/);
    assert.throws(() => verifyClientChain([der(cert.cert)], bundle, Date.now() - 2 * 3_600_000), /expired or is not yet valid/);
  });

  it('a bundle without a certificate is an error naming its source', () => {
    assert.throws(() => new CABundle('not a pem', '--client-ca-file'), /--client-ca-file: no PEM certificate found/);
  });
});
