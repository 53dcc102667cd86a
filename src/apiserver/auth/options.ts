// The authentication and authorization flags, named as kube-apiserver and k8s.io/apiserver name
// them (DelegatingAuthenticationOptions.AddFlags, DelegatingAuthorizationOptions.AddFlags), and
// their translation into {@link AuthSettings}.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type AuthSettings, DEFAULT_ALWAYS_ALLOW_PATHS } from './delegating.js';
import { resolveKubeConfigSource } from './kube-client.js';

/** The parsed flags (commander's camel-cased names). */
export interface AuthFlags {
  kubeconfig?: string;
  authenticationKubeconfig?: string;
  authenticationSkipLookup?: boolean;
  authenticationTolerateLookupFailure?: boolean;
  authenticationTokenWebhookCacheTtl: number;
  clientCaFile?: string;
  requestheaderClientCaFile?: string;
  requestheaderAllowedNames?: string[];
  requestheaderUsernameHeaders?: string[];
  requestheaderGroupHeaders?: string[];
  requestheaderExtraHeadersPrefix?: string[];
  requestheaderUidHeaders?: string[];
  authorizationKubeconfig?: string;
  authorizationAlwaysAllowPaths: string[];
  authorizationWebhookCacheAuthorizedTtl: number;
  authorizationWebhookCacheUnauthorizedTtl: number;
  authorizationPolicyFile?: string;
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration of ms/s/m/h terms (`10s`, `1m30s`, `500ms`, `0`) in milliseconds; throws otherwise. */
export function parseDurationFlag(text: string): number {
  if (text === '0') return 0;
  const terms = [...text.matchAll(/(\d+(?:\.\d*)?)(ms|s|m|h)/g)];
  if (terms.length === 0 || terms.map((t) => t[0]).join('') !== text) throw new Error(`time: invalid duration "${text}"`);
  return terms.reduce((ms, t) => ms + Number(t[1]) * (UNITS[t[2] ?? ''] ?? 0), 0);
}

/** pflag's string slice: comma-separated; the first use replaces the default, later uses append. */
function commaList(defaults?: readonly string[]) {
  return (value: string, previous: string[] | undefined): string[] => {
    const items = value.split(',').map((v) => v.trim()).filter(Boolean);
    return previous === undefined || previous === defaults ? items : [...previous, ...items];
  };
}

function list(flags: string, description: string): Option {
  return new Option(flags, description).argParser(commaList());
}

function duration(flags: string, description: string): Option {
  return new Option(flags, description).default(10_000, '10s').argParser((value: string) => {
    try {
      return parseDurationFlag(value);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  });
}

/** Adds every authentication and authorization flag to `cmd`. */
export function addAuthFlags(cmd: Command): Command {
  return cmd
    .option('--kubeconfig <file>', 'kubeconfig of kube-apiserver for TokenReview, SubjectAccessReview and the authentication ConfigMap')
    .option('--authentication-kubeconfig <file>', 'kubeconfig for TokenReview and the ConfigMap (default: --kubeconfig, else in-cluster)')
    .option('--authentication-skip-lookup', 'do not read kube-system/extension-apiserver-authentication')
    .option('--authentication-tolerate-lookup-failure', 'start even if that ConfigMap cannot be read')
    .addOption(duration('--authentication-token-webhook-cache-ttl <duration>', 'how long TokenReview answers are cached'))
    .option('--client-ca-file <file>', 'CA bundle for client certificates (CN = user, O = groups); overrides the ConfigMap')
    .option('--requestheader-client-ca-file <file>', 'CA bundle of the front proxy (kube-apiserver); overrides the ConfigMap')
    .addOption(list('--requestheader-allowed-names <names>', 'common names the front proxy may have (empty: any signed by the CA)'))
    .addOption(list('--requestheader-username-headers <headers>', 'user name headers (default: X-Remote-User)'))
    .addOption(list('--requestheader-group-headers <headers>', 'group headers (default: X-Remote-Group)'))
    .addOption(list('--requestheader-extra-headers-prefix <prefixes>', 'extra header prefixes (default: X-Remote-Extra-)'))
    .addOption(list('--requestheader-uid-headers <headers>', 'UID headers (default: none)'))
    .option('--authorization-kubeconfig <file>', 'kubeconfig for SubjectAccessReview (default: --kubeconfig, else in-cluster)')
    .addOption(new Option('--authorization-always-allow-paths <paths>', 'paths anyone may GET, anonymous users included')
      .default(DEFAULT_ALWAYS_ALLOW_PATHS, DEFAULT_ALWAYS_ALLOW_PATHS.join(',')).argParser(commaList(DEFAULT_ALWAYS_ALLOW_PATHS)))
    .addOption(duration('--authorization-webhook-cache-authorized-ttl <duration>', 'how long allowed SubjectAccessReview answers are cached'))
    .addOption(duration('--authorization-webhook-cache-unauthorized-ttl <duration>', 'how long refused SubjectAccessReview answers are cached'))
    .option('--authorization-policy-file <file>', 'static allow rules (YAML/JSON, see README), consulted before SubjectAccessReview');
}

/** The settings the flags describe; the in-cluster service account is used only when `allowInCluster`. */
export function authSettingsFromFlags(f: AuthFlags, allowInCluster: boolean): AuthSettings {
  return {
    authentication: {
      kubeconfig: resolveKubeConfigSource([f.authenticationKubeconfig, f.kubeconfig], allowInCluster),
      clientCAFile: f.clientCaFile,
      requestHeader: {
        clientCAFile: f.requestheaderClientCaFile,
        allowedNames: f.requestheaderAllowedNames,
        usernameHeaders: f.requestheaderUsernameHeaders,
        groupHeaders: f.requestheaderGroupHeaders,
        extraHeaderPrefixes: f.requestheaderExtraHeadersPrefix,
        uidHeaders: f.requestheaderUidHeaders,
      },
      skipLookup: f.authenticationSkipLookup ?? false,
      tolerateLookupFailure: f.authenticationTolerateLookupFailure ?? false,
      cacheTTLMs: f.authenticationTokenWebhookCacheTtl,
      refreshIntervalMs: 60_000,
    },
    authorization: {
      kubeconfig: resolveKubeConfigSource([f.authorizationKubeconfig, f.kubeconfig], allowInCluster),
      alwaysAllowPaths: f.authorizationAlwaysAllowPaths,
      alwaysAllowGroups: ['system:masters'],
      policyFile: f.authorizationPolicyFile,
      allowCacheTTLMs: f.authorizationWebhookCacheAuthorizedTtl,
      denyCacheTTLMs: f.authorizationWebhookCacheUnauthorizedTtl,
    },
  };
}
