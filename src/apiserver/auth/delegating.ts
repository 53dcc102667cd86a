// Builds the authenticator and authorizer from options, as k8s.io/apiserver's
// DelegatingAuthenticationOptions and DelegatingAuthorizationOptions do: requestheader → client
// certificate → bearer token (static table, then TokenReview) → websocket token → anonymous; and
// privileged groups → always-allowed paths → (discovery without kube-apiserver) → policy file →
// SubjectAccessReview.
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { UserInfo } from '../types.js';
import { AUTHENTICATION_CONFIGMAP, AuthenticationSources, type RequestHeaderFlags } from './authentication-config.js';
import { type Authenticator, type RequestAuthenticator, type TokenAuthenticator, UnionAuthenticator } from './authn.js';
import { type Authorizer, type DecisionAuthorizer, DiscoveryAuthorizer, PathAuthorizer, PrivilegedGroups, UnionAuthorizer } from './authz.js';
import { BearerTokenAuthenticator, StaticTokenAuthenticator, UnionTokenAuthenticator, WebSocketProtocolAuthenticator } from './bearer.js';
import { KubeApiClient, type KubeConfigSource, loadKubeConfig } from './kube-client.js';
import { PathMatcher } from './paths.js';
import { readPolicyFile } from './policy-file.js';
import { SubjectAccessReviewAuthorizer } from './sar.js';
import { CachedTokenAuthenticator, TokenReviewAuthenticator } from './token-review.js';
import { RequestHeaderAuthenticator, X509Authenticator } from './x509.js';

/** The default of `--authorization-always-allow-paths`: the health endpoints and their per-check paths. */
export const DEFAULT_ALWAYS_ALLOW_PATHS = ['/healthz', '/healthz/*', '/livez', '/livez/*', '/readyz', '/readyz/*'];

/** Authentication settings (flags of the same names). */
export interface AuthenticationOptions {
  /** Static bearer tokens (`--token-auth-file`, the dev admin token). */
  tokens: ReadonlyMap<string, UserInfo>;
  /** kube-apiserver for TokenReview and the ConfigMap; none: neither is used. */
  kubeconfig?: KubeConfigSource;
  /** `--client-ca-file`. */
  clientCAFile?: string;
  /** `--requestheader-client-ca-file` (as `clientCAFile`) and the other `--requestheader-*` flags. */
  requestHeader: Omit<RequestHeaderFlags, 'clientCA'> & { clientCAFile?: string };
  /** `--authentication-skip-lookup`: do not read the ConfigMap. */
  skipLookup: boolean;
  /** `--authentication-tolerate-lookup-failure`: start even when the ConfigMap cannot be read. */
  tolerateLookupFailure: boolean;
  /** `--authentication-token-webhook-cache-ttl`. */
  cacheTTLMs: number;
  /** How often the ConfigMap is read again. */
  refreshIntervalMs: number;
}

/** Authorization settings (flags of the same names). */
export interface AuthorizationOptions {
  /** kube-apiserver for SubjectAccessReview; none: the static policy (and discovery for everyone) decide. */
  kubeconfig?: KubeConfigSource;
  /** `--authorization-always-allow-paths`; anonymous requests are let in on these too. */
  alwaysAllowPaths: string[];
  alwaysAllowGroups: string[];
  /** `--authorization-policy-file`. */
  policyFile?: string;
  /** `--authorization-webhook-cache-authorized-ttl` / `--authorization-webhook-cache-unauthorized-ttl`. */
  allowCacheTTLMs: number;
  denyCacheTTLMs: number;
}

export interface DelegatedAuth {
  authenticator: Authenticator;
  authorizer: Authorizer;
  /** Stops re-reading the ConfigMap and closes connections to kube-apiserver. */
  stop(): void;
}

/** Both option sets; the static tokens are given apart. */
export interface AuthSettings {
  authentication: Omit<AuthenticationOptions, 'tokens'>;
  authorization: AuthorizationOptions;
}

/** Every default: no kube-apiserver, no certificates, no policy file. */
export function defaultAuthSettings(): AuthSettings {
  return {
    authentication: { requestHeader: {}, skipLookup: false, tolerateLookupFailure: false, cacheTTLMs: 10_000, refreshIntervalMs: 60_000 },
    authorization: { alwaysAllowPaths: DEFAULT_ALWAYS_ALLOW_PATHS, alwaysAllowGroups: ['system:masters'], allowCacheTTLMs: 10_000, denyCacheTTLMs: 10_000 },
  };
}

async function readConfigMap(source: KubeConfigSource): Promise<Record<string, string> | undefined> {
  const { CoreV1Api } = await import('@kubernetes/client-node');
  const api = (await loadKubeConfig(source)).makeApiClient(CoreV1Api);
  try {
    return (await api.readNamespacedConfigMap(AUTHENTICATION_CONFIGMAP)).data ?? {};
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

async function authenticationSources(o: AuthenticationOptions, log: Logger): Promise<{ sources: AuthenticationSources; stop(): void }> {
  const [clientCA, requestHeaderCA] = await Promise.all([o.clientCAFile, o.requestHeader.clientCAFile].map((f) => (f ? readFile(f, 'utf8') : undefined)));
  const sources = new AuthenticationSources(clientCA, { ...o.requestHeader, clientCA: requestHeaderCA });
  const source = o.kubeconfig;
  if (!source || o.skipLookup || !sources.needsConfigMap) return { sources, stop: () => undefined };
  const where = `configmap/${AUTHENTICATION_CONFIGMAP.name} in ${AUTHENTICATION_CONFIGMAP.namespace}`;
  const refresh = async (): Promise<void> => {
    const data = await readConfigMap(source);
    if (data === undefined) log.warn(`${where} not found: client certificate and front-proxy authentication use the flags only`);
    else sources.applyConfigMap(data);
  };
  try {
    await refresh();
  } catch (err) {
    if (!o.tolerateLookupFailure) throw new Error(`unable to load ${where}: ${(err as Error).message}`);
    log.warn({ err }, `unable to load ${where}; continuing without it`);
  }
  const timer = setInterval(() => void refresh().catch((err: unknown) => log.warn({ err }, `unable to refresh ${where}`)), o.refreshIntervalMs);
  timer.unref();
  return { sources, stop: () => clearInterval(timer) };
}

async function buildAuthenticator(o: AuthenticationOptions, anonymousPaths: PathMatcher, log: Logger): Promise<{ authenticator: Authenticator; stop(): void }> {
  const { sources, stop } = await authenticationSources(o, log);
  const tokenAuthenticators: TokenAuthenticator[] = [new StaticTokenAuthenticator(o.tokens)];
  let client: KubeApiClient | undefined;
  if (o.kubeconfig) {
    client = new KubeApiClient(await loadKubeConfig(o.kubeconfig));
    tokenAuthenticators.push(new CachedTokenAuthenticator(new TokenReviewAuthenticator(client), o.cacheTTLMs));
  }
  const tokens = new UnionTokenAuthenticator(tokenAuthenticators);
  const authenticators: RequestAuthenticator[] = [
    new RequestHeaderAuthenticator(() => sources.requestHeader),
    new X509Authenticator(() => sources.clientCA),
    new BearerTokenAuthenticator(tokens),
    new WebSocketProtocolAuthenticator(tokens),
  ];
  const authenticator = new UnionAuthenticator(authenticators, {
    anonymousAllowed: (path) => anonymousPaths.matches(path),
    onError: (errors) => log.debug({ errors: errors.map((e) => (e instanceof Error ? e.message : String(e))) }, 'unable to authenticate the request'),
  });
  return { authenticator, stop: () => (stop(), client?.close()) };
}

async function buildAuthorizer(o: AuthorizationOptions, alwaysAllow: PathMatcher): Promise<{ authorizer: Authorizer; stop(): void }> {
  const authorizers: DecisionAuthorizer[] = [new PrivilegedGroups(o.alwaysAllowGroups), new PathAuthorizer(alwaysAllow)];
  if (!o.kubeconfig) authorizers.push(new DiscoveryAuthorizer());
  if (o.policyFile) authorizers.push(await readPolicyFile(o.policyFile));
  let client: KubeApiClient | undefined;
  if (o.kubeconfig) {
    client = new KubeApiClient(await loadKubeConfig(o.kubeconfig));
    authorizers.push(new SubjectAccessReviewAuthorizer(client, { allowTTLMs: o.allowCacheTTLMs, denyTTLMs: o.denyCacheTTLMs }));
  }
  return { authorizer: new UnionAuthorizer(authorizers), stop: () => client?.close() };
}

/** Builds both; throws (with a message naming the flag or file) when a setting cannot be used. */
export async function buildDelegatedAuth(tokens: ReadonlyMap<string, UserInfo>, settings: AuthSettings, log: Logger): Promise<DelegatedAuth> {
  const authn: AuthenticationOptions = { ...settings.authentication, tokens };
  const authz = settings.authorization;
  const alwaysAllow = new PathMatcher(authz.alwaysAllowPaths);
  const authorization = await buildAuthorizer(authz, alwaysAllow);
  const authentication = await buildAuthenticator(authn, alwaysAllow, log);
  if (!authn.kubeconfig) log.debug('no kubeconfig for kube-apiserver: TokenReview and the authentication ConfigMap are not used');
  if (!authz.kubeconfig) log.debug('no kubeconfig for kube-apiserver: no SubjectAccessReview; system:masters, discovery and the policy file decide');
  return {
    authenticator: authentication.authenticator,
    authorizer: authorization.authorizer,
    stop: () => (authentication.stop(), authorization.stop()),
  };
}
