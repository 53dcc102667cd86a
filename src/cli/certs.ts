import 'reflect-metadata';
import { X509Certificate as NodeCertificate, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { writeFileAtomic } from './write-file-atomic.js';

x509.cryptoProvider.set(webcrypto);

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
const VALIDITY_DAYS = 365;
/** Certificates are backdated by this much to tolerate clock skew, as client-go's cert util does. */
const BACKDATE_MS = 60 * 60 * 1000;
/** A reused serving certificate must stay valid at least this long. */
const RENEW_BEFORE_MS = 30 * DAY_MS;

/** A PEM certificate and its PEM (PKCS#8) private key. */
export interface PemKeyPair {
  cert: string;
  key: string;
}

/** Extended key usage of an issued certificate: `serverAuth` or `clientAuth`. */
export type CertificateUsage = 'server' | 'client';

/** What {@link issueCertificate} puts into a certificate. */
export interface IssueCertificateOptions {
  commonName: string;
  /** Subject `O=` values; for client certificates Kubernetes reads them as groups. */
  organizations?: string[];
  dnsNames?: string[];
  ips?: string[];
  usage: CertificateUsage;
  /** Defaults to 365. */
  validityDays?: number;
}

/** Names the serving certificate must cover. */
export interface ServingCertificateOptions {
  certDir: string;
  hostnames: string[];
  ips: string[];
}

/** The serving certificate files in `certDir` and their PEM contents. */
export interface ServingCertificate {
  certFile: string;
  keyFile: string;
  caFile: string;
  cert: string;
  key: string;
  ca: string;
}

/** File names inside `certDir`. */
export const SERVING_CERT_FILES = { cert: 'apiserver.crt', key: 'apiserver.key', ca: 'ca.crt' } as const;

/**
 * Creates a self-signed CA (ECDSA P-256, valid 1 year, path length 0: it signs end-entity certificates only).
 * The key is only in the returned PEM; nothing is written.
 */
export async function generateCA(commonName: string): Promise<PemKeyPair> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    ...validity(VALIDITY_DAYS),
    serialNumber: serialNumber(),
    name: subjectName(commonName, []),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportPrivateKey(keys.privateKey) };
}

/**
 * Issues a leaf certificate signed by `ca` (which must hold an ECDSA P-256 key, as every CA from
 * {@link generateCA} does) with a fresh ECDSA P-256 key: key usage digitalSignature +
 * keyEncipherment, the requested extended key usage and subject alternative names.
 * Throws a TypeError for an entry of `ips` that is not an IP address.
 */
export async function issueCertificate(ca: PemKeyPair, opts: IssueCertificateOptions): Promise<PemKeyPair> {
  const caCert = new x509.X509Certificate(ca.cert);
  const signingKey = await importSigningKey(ca.key);
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.create({
    ...validity(opts.validityDays ?? VALIDITY_DAYS),
    serialNumber: serialNumber(),
    subject: subjectName(opts.commonName, opts.organizations ?? []),
    issuer: caCert.subjectName,
    publicKey: keys.publicKey,
    signingKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([
        opts.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await authorityKeyIdentifier(caCert),
      ...subjectAltNames(opts.dnsNames ?? [], opts.ips ?? []),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportPrivateKey(keys.privateKey) };
}

/**
 * Returns the serving certificate in `opts.certDir` (`apiserver.crt`, `apiserver.key` mode 0600,
 * `ca.crt`), reusing the files when they parse, chain to each other, stay valid for 30 more days
 * and cover every requested DNS name and IP; otherwise generates a new CA
 * (`kube-actions-ca@<unix time>`, whose key is discarded, like kube-apiserver's self-signed
 * certificates) and a serving certificate signed by it, and writes the files (a missing
 * `certDir` is created with mode 0700: the key is for this user alone).
 */
export async function ensureServingCertificate(opts: ServingCertificateOptions): Promise<ServingCertificate> {
  const files = {
    certFile: path.join(opts.certDir, SERVING_CERT_FILES.cert),
    keyFile: path.join(opts.certDir, SERVING_CERT_FILES.key),
    caFile: path.join(opts.certDir, SERVING_CERT_FILES.ca),
  };
  const existing = await readServingFiles(files);
  if (existing !== undefined && isReusable(existing, opts)) return { ...files, ...existing };

  const now = Math.floor(Date.now() / 1000);
  const ca = await generateCA(`kube-actions-ca@${now}`);
  const serving = await issueCertificate(ca, {
    commonName: `${opts.hostnames[0] ?? opts.ips[0] ?? 'localhost'}@${now}`,
    dnsNames: opts.hostnames,
    ips: opts.ips,
    usage: 'server',
  });
  await mkdir(opts.certDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(files.keyFile, serving.key, 0o600);
  await writeFileAtomic(files.certFile, serving.cert, 0o644);
  await writeFileAtomic(files.caFile, ca.cert, 0o644);
  return { ...files, cert: serving.cert, key: serving.key, ca: ca.cert };
}

interface ServingPems {
  cert: string;
  key: string;
  ca: string;
}

type ServingFiles = Pick<ServingCertificate, 'certFile' | 'keyFile' | 'caFile'>;

async function readServingFiles(files: ServingFiles): Promise<ServingPems | undefined> {
  try {
    const [cert, key, ca] = await Promise.all([
      readFile(files.certFile, 'utf8'),
      readFile(files.keyFile, 'utf8'),
      readFile(files.caFile, 'utf8'),
    ]);
    return { cert, key, ca };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Whether the stored files form a usable chain for the requested names (any parse error: no). */
function isReusable(pems: ServingPems, opts: ServingCertificateOptions): boolean {
  try {
    const cert = new NodeCertificate(pems.cert);
    const ca = new NodeCertificate(pems.ca);
    return (
      cert.checkIssued(ca) &&
      cert.verify(ca.publicKey) &&
      cert.checkPrivateKey(createPrivateKey(pems.key)) &&
      isCurrent(cert) &&
      isCurrent(ca) &&
      opts.hostnames.every((name) => cert.checkHost(name, { subject: 'never' }) !== undefined) &&
      opts.ips.every((ip) => cert.checkIP(ip) !== undefined)
    );
  } catch {
    return false;
  }
}

function isCurrent(cert: NodeCertificate): boolean {
  const now = Date.now();
  return Date.parse(cert.validFrom) <= now && Date.parse(cert.validTo) - now > RENEW_BEFORE_MS;
}

function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
}

async function exportPrivateKey(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return `${x509.PemConverter.encode(der, 'PRIVATE KEY').trimEnd()}\n`;
}

function importSigningKey(pem: string): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pem), KEY_ALGORITHM, false, ['sign']);
}

function validity(days: number): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + days * DAY_MS) };
}

/** 128 random bits, positive and minimally DER-encoded (Go's x509 parser rejects anything else). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x3f) | 0x40;
  return bytes.toString('hex');
}

/** Subject with one RDN per organization, then the common name (Go's pkix.Name order). */
function subjectName(commonName: string, organizations: string[]): x509.JsonName {
  return [...organizations.map((o) => ({ O: [o] })), { CN: [commonName] }];
}

async function authorityKeyIdentifier(caCert: x509.X509Certificate): Promise<x509.Extension> {
  const ski = caCert.getExtension(x509.SubjectKeyIdentifierExtension);
  if (ski !== null) return new x509.AuthorityKeyIdentifierExtension(ski.keyId);
  return x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey);
}

function subjectAltNames(dnsNames: string[], ips: string[]): x509.Extension[] {
  const invalid = ips.find((ip) => isIP(ip) === 0);
  if (invalid !== undefined) throw new TypeError(`not an IP address: ${JSON.stringify(invalid)}`);
  const names: x509.JsonGeneralNames = [
    ...[...new Set(dnsNames)].map((value) => ({ type: 'dns' as const, value })),
    ...[...new Set(ips)].map((value) => ({ type: 'ip' as const, value })),
  ];
  return names.length === 0 ? [] : [new x509.SubjectAlternativeNameExtension(names)];
}
