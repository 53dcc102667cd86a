// Where the CAs and front-proxy settings come from: flags, else the ConfigMap
// kube-system/extension-apiserver-authentication that kube-apiserver writes
// (k8s.io/apiserver pkg/server/options/authentication.go lookupMissingConfigInCluster).
import { CABundle } from './cert-chain.js';

/** The front-proxy (requestheader) settings in force. */
export interface RequestHeaderConfig {
  /** CAs that sign the front proxy's client certificate. */
  ca: CABundle;
  /** Common names the front proxy's certificate may have; empty: any the CA signed. */
  allowedNames: string[];
  usernameHeaders: string[];
  uidHeaders: string[];
  groupHeaders: string[];
  extraHeaderPrefixes: string[];
}

/** Front-proxy flags; `undefined` means not given (the ConfigMap's value or the default applies). */
export interface RequestHeaderFlags {
  /** PEM read from `--requestheader-client-ca-file`. */
  clientCA?: string;
  allowedNames?: string[];
  usernameHeaders?: string[];
  uidHeaders?: string[];
  groupHeaders?: string[];
  extraHeaderPrefixes?: string[];
}

/** The defaults of k8s.io/apiserver's `NewDelegatingAuthenticationOptions`. */
export const REQUEST_HEADER_DEFAULTS = {
  allowedNames: [] as string[],
  usernameHeaders: ['X-Remote-User'],
  uidHeaders: [] as string[],
  groupHeaders: ['X-Remote-Group'],
  extraHeaderPrefixes: ['X-Remote-Extra-'],
} as const;

export const AUTHENTICATION_CONFIGMAP = { namespace: 'kube-system', name: 'extension-apiserver-authentication' } as const;

/** Go's `deserializeStrings`: a JSON array of strings; empty text is an empty list. */
function jsonStrings(data: Readonly<Record<string, string>>, key: string): string[] | undefined {
  const text = data[key];
  if (text === undefined || text === '') return undefined;
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string')) {
    throw new Error(`configmap/${AUTHENTICATION_CONFIGMAP.name}: ${key} is not a JSON array of strings`);
  }
  return parsed as string[];
}

/** What the ConfigMap's data says (keys missing from it stay undefined). */
export function requestHeaderFromConfigMap(data: Readonly<Record<string, string>>): RequestHeaderFlags {
  return {
    clientCA: data['requestheader-client-ca-file'] || undefined,
    allowedNames: jsonStrings(data, 'requestheader-allowed-names'),
    usernameHeaders: jsonStrings(data, 'requestheader-username-headers'),
    uidHeaders: jsonStrings(data, 'requestheader-uid-headers'),
    groupHeaders: jsonStrings(data, 'requestheader-group-headers'),
    extraHeaderPrefixes: jsonStrings(data, 'requestheader-extra-headers-prefix'),
  };
}

/** Flag values override ConfigMap values, which override the defaults; no CA from either: no front proxy. */
export function resolveRequestHeader(flags: RequestHeaderFlags, fromConfigMap: RequestHeaderFlags = {}, previous?: RequestHeaderConfig): RequestHeaderConfig | undefined {
  const pem = flags.clientCA ?? fromConfigMap.clientCA;
  if (pem === undefined) return undefined;
  const pick = <K extends keyof typeof REQUEST_HEADER_DEFAULTS>(key: K): string[] =>
    [...(flags[key] ?? fromConfigMap[key] ?? REQUEST_HEADER_DEFAULTS[key])];
  return {
    ca: previous?.ca.pem === pem ? previous.ca : new CABundle(pem, flags.clientCA ? '--requestheader-client-ca-file' : 'requestheader-client-ca-file'),
    allowedNames: pick('allowedNames'),
    usernameHeaders: pick('usernameHeaders'),
    uidHeaders: pick('uidHeaders'),
    groupHeaders: pick('groupHeaders'),
    extraHeaderPrefixes: pick('extraHeaderPrefixes'),
  };
}

/**
 * The CA settings the certificate authenticators read on every request. They are replaced as a
 * whole when the ConfigMap changes; an unchanged CA keeps its {@link CABundle}, so connections
 * verified against it stay verified.
 */
export class AuthenticationSources {
  clientCA: CABundle | undefined;
  requestHeader: RequestHeaderConfig | undefined;

  constructor(
    /** PEM of `--client-ca-file`, which wins over the ConfigMap's `client-ca-file`. */
    readonly clientCAFlag: string | undefined,
    readonly requestHeaderFlags: RequestHeaderFlags,
  ) {
    this.clientCA = clientCAFlag === undefined ? undefined : new CABundle(clientCAFlag, '--client-ca-file');
    this.requestHeader = resolveRequestHeader(requestHeaderFlags);
  }

  /** Whether the flags leave something for the ConfigMap to supply (Go looks it up only then). */
  get needsConfigMap(): boolean {
    return this.clientCAFlag === undefined || this.requestHeaderFlags.clientCA === undefined;
  }

  /** Applies the ConfigMap's data under the flags. Throws (and changes nothing) on malformed data. */
  applyConfigMap(data: Readonly<Record<string, string>>): void {
    const clientPem = this.clientCAFlag ?? (data['client-ca-file'] || undefined);
    const clientCA = clientPem === undefined ? undefined
      : this.clientCA?.pem === clientPem ? this.clientCA : new CABundle(clientPem, 'client-ca-file');
    const requestHeader = resolveRequestHeader(this.requestHeaderFlags, requestHeaderFromConfigMap(data), this.requestHeader);
    this.clientCA = clientCA;
    this.requestHeader = requestHeader;
  }
}
