// Client certificate checks as Go's x509.Certificate.Verify does them for
// k8s.io/apiserver's x509 authenticator: a chain from the presented certificate through the
// presented intermediates to one of the trusted CAs, every certificate within its validity
// dates, and every certificate's extended key usage allowing client authentication.
import { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { PeerCertificate, TLSSocket } from 'node:tls';

/** A set of trusted CA certificates, parsed once from PEM. */
export class CABundle {
  readonly certs: readonly X509Certificate[];

  /** Throws an Error when `pem` holds no certificate or one that does not parse. */
  constructor(readonly pem: string, readonly source: string) {
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) throw new Error(`${source}: no PEM certificate found`);
    this.certs = blocks.map((b) => new X509Certificate(b));
  }
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_USAGE = '2.5.29.37.0';
const MAX_DEPTH = 8;

/** The DER certificates the TLS client presented, its own first; empty when it sent none. */
export function peerCertificates(req: IncomingMessage): Buffer[] {
  const socket = req.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') return [];
  const out: Buffer[] = [];
  let cert: PeerCertificate | undefined = socket.getPeerCertificate(true) as PeerCertificate | undefined;
  while (cert?.raw && out.length < MAX_DEPTH) {
    out.push(cert.raw);
    const next = (cert as { issuerCertificate?: PeerCertificate }).issuerCertificate;
    if (!next || next === cert || next.raw?.equals(cert.raw)) break;
    cert = next;
  }
  return out;
}

function isCurrent(cert: X509Certificate, now: number): boolean {
  return Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo);
}

/** Go's `checkChainForKeyUsage` for clientAuth: a certificate without extended key usage allows any. */
function allowsClientAuth(cert: X509Certificate): boolean {
  const usages = cert.keyUsage as string[] | undefined;
  return !usages || usages.length === 0 || usages.includes(CLIENT_AUTH) || usages.includes(ANY_USAGE);
}

function signedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

/** What went wrong, in Go's words, for the chain that got furthest. */
interface Search {
  error: string;
}

function expired(cert: X509Certificate, now: number): string {
  return `x509: certificate has expired or is not yet valid: current time ${new Date(now).toISOString()} is outside ${cert.validFrom} – ${cert.validTo}`;
}

/** Extends `chain` (its last certificate valid so far) to a trusted CA; true when one passes every check. */
function extend(chain: X509Certificate[], intermediates: X509Certificate[], roots: CABundle, now: number, search: Search): boolean {
  const cert = chain[chain.length - 1] as X509Certificate;
  if (!isCurrent(cert, now)) {
    search.error = expired(cert, now);
    return false;
  }
  const complete = roots.certs.some((root) => root.raw.equals(cert.raw))
    ? [chain]
    : roots.certs.filter((root) => signedBy(cert, root)).map((root) => [...chain, root]);
  for (const full of complete) {
    const root = full[full.length - 1] as X509Certificate;
    if (!isCurrent(root, now)) search.error = expired(root, now);
    else if (!full.every(allowsClientAuth)) search.error = 'x509: certificate specifies an incompatible key usage';
    else return true;
  }
  if (chain.length >= MAX_DEPTH) return false;
  return intermediates.some((next) => next.ca && !chain.includes(next) && signedBy(cert, next)
    && extend([...chain, next], intermediates, roots, now, search));
}

/**
 * Verifies the presented chain (`der[0]` the client's certificate, the rest intermediates)
 * against `roots` for client authentication and returns the client's certificate. Throws an
 * Error saying why (unknown authority, expired, incompatible key usage) otherwise.
 */
export function verifyClientChain(der: readonly Buffer[], roots: CABundle, now = Date.now()): X509Certificate {
  const [leafDer, ...rest] = der;
  if (!leafDer) throw new Error('no client certificate');
  const leaf = new X509Certificate(leafDer);
  const search: Search = { error: 'x509: certificate signed by unknown authority' };
  if (!extend([leaf], rest.map((d) => new X509Certificate(d)), roots, now, search)) throw new Error(search.error);
  return leaf;
}

interface Verified {
  leaf?: X509Certificate;
  error?: Error;
  at: number;
}

/** How long a connection's verified certificate is trusted before it is checked again. */
const RECHECK_MS = 60_000;
const verifiedBySocket = new WeakMap<object, WeakMap<CABundle, Verified>>();

/**
 * {@link verifyClientChain} for the request's TLS client certificate against `roots`, checked
 * once per connection and bundle (again after a minute). Resolves `undefined` when the client
 * sent no certificate; throws when it sent one that does not verify.
 */
export function verifyPeer(req: IncomingMessage, roots: CABundle): X509Certificate | undefined {
  const now = Date.now();
  let byBundle = verifiedBySocket.get(req.socket);
  const cached = byBundle?.get(roots);
  if (cached && now - cached.at < RECHECK_MS) {
    if (cached.error) throw cached.error;
    return cached.leaf;
  }
  const der = peerCertificates(req);
  const result: Verified = { at: now };
  if (der.length > 0) {
    try {
      result.leaf = verifyClientChain(der, roots, now);
    } catch (err) {
      result.error = err instanceof Error ? err : new Error(String(err));
    }
  }
  if (!byBundle) verifiedBySocket.set(req.socket, (byBundle = new WeakMap()));
  byBundle.set(roots, result);
  if (result.error) throw result.error;
  return result.leaf;
}

/** The subject's CN and O values (Kubernetes' user name and groups). */
export function subjectOf(cert: X509Certificate): { commonName: string; organizations: string[] } {
  const subject = cert.toLegacyObject().subject as unknown as Record<string, string | string[] | undefined>;
  const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return { commonName: list(subject.CN)[0] ?? '', organizations: list(subject.O) };
}
