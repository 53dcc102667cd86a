// Client certificates (k8s.io/apiserver pkg/authentication/request/x509 and
// …/request/headerrequest): a certificate signed by the client CA names the user (CN) and groups
// (O); a certificate signed by the front-proxy CA lets the X-Remote-* headers name the user.
// Headers on a connection without such a certificate are never read.
import type { IncomingMessage } from 'node:http';
import type { UserInfo } from '../types.js';
import type { RequestHeaderConfig } from './authentication-config.js';
import type { RequestAuthenticator } from './authn.js';
import { type CABundle, subjectOf, verifyPeer } from './cert-chain.js';

/** A certificate from the client CA (`--client-ca-file`): user = CN, groups = O; no CN: abstain. */
export class X509Authenticator implements RequestAuthenticator {
  constructor(readonly clientCA: () => CABundle | undefined) {}

  async authenticateRequest(req: IncomingMessage): Promise<UserInfo | undefined> {
    const roots = this.clientCA();
    if (!roots) return undefined;
    const leaf = verifyPeer(req, roots);
    if (!leaf) return undefined;
    const subject = subjectOf(leaf);
    if (subject.commonName === '') return undefined;
    return { name: subject.commonName, groups: subject.organizations };
  }
}

/** Every value of each named header, one per header line, in order (repeated headers stay apart). */
function headerLines(rawHeaders: readonly string[], names: readonly string[]): string[] {
  const out: string[] = [];
  for (const name of names) {
    const lower = name.toLowerCase();
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      if (rawHeaders[i]?.toLowerCase() === lower) out.push(rawHeaders[i + 1] ?? '');
    }
  }
  return out;
}

/** Go's `headerValue`: the first line of the first named header that has a non-empty one. */
function firstValue(rawHeaders: readonly string[], names: readonly string[]): string {
  for (const name of names) {
    const first = headerLines(rawHeaders, [name])[0];
    if (first) return first;
  }
  return '';
}

/** Go's `unescapeExtraKey`: percent-decoded, or as sent when that fails. */
function extraKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}

/** Go's `newExtra`: for each prefix, every header starting with it (any case) gives key = lower-cased rest. */
function extraOf(rawHeaders: readonly string[], prefixes: readonly string[]): Record<string, string[]> {
  const extra: Record<string, string[]> = {};
  for (const prefix of prefixes) {
    const lower = prefix.toLowerCase();
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = (rawHeaders[i] ?? '').toLowerCase();
      if (!name.startsWith(lower)) continue;
      const key = extraKey(name.slice(lower.length));
      (extra[key] ??= []).push(rawHeaders[i + 1] ?? '');
    }
  }
  return extra;
}

/**
 * The front proxy (kube-apiserver's aggregator): only on a connection whose client certificate
 * verifies against the requestheader CA and, when allowed names are configured, has one of them
 * as CN, the user comes from the username headers (none: abstain), the groups from every line of
 * the group headers (blank lines skipped), the extra from the prefixed headers.
 */
export class RequestHeaderAuthenticator implements RequestAuthenticator {
  constructor(readonly config: () => RequestHeaderConfig | undefined) {}

  async authenticateRequest(req: IncomingMessage): Promise<UserInfo | undefined> {
    const c = this.config();
    if (!c) return undefined;
    const leaf = verifyPeer(req, c.ca);
    if (!leaf) return undefined;
    const { commonName } = subjectOf(leaf);
    if (c.allowedNames.length > 0 && !c.allowedNames.includes(commonName)) {
      throw new Error(`x509: subject with cn=${commonName} is not in the allowed list`);
    }
    const name = firstValue(req.rawHeaders, c.usernameHeaders);
    if (name === '') return undefined;
    const uid = firstValue(req.rawHeaders, c.uidHeaders);
    const groups = headerLines(req.rawHeaders, c.groupHeaders).filter((g) => g.trim() !== '');
    const extra = extraOf(req.rawHeaders, c.extraHeaderPrefixes);
    return { name, ...(uid ? { uid } : {}), groups, ...(Object.keys(extra).length > 0 ? { extra } : {}) };
  }
}
