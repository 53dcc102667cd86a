// The user's kubeconfig, chosen as kubectl chooses it: --kubeconfig, else $KUBECONFIG (merged),
// else ~/.kube/config, else the in-cluster service account.
import { KubeConfig } from '@kubernetes/client-node';

/** The global flags every command accepts (kubectl's names). */
export interface ConnectionFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

/** A loaded kubeconfig and the namespace the command works in. */
export interface Connection {
  kc: KubeConfig;
  /** `-n/--namespace`, else the context's namespace, else `default`. */
  namespace: string;
  /** Whether the namespace came from the flag (a manifest's own namespace must then agree). */
  explicitNamespace: boolean;
}

/**
 * Loads the kubeconfig and picks the context and namespace. Throws kubectl's
 * `context was not found for specified context: X` for an unknown --context.
 */
export function loadConnection(flags: ConnectionFlags): Connection {
  const kc = new KubeConfig();
  if (flags.kubeconfig) kc.loadFromFile(flags.kubeconfig);
  else kc.loadFromDefault();
  if (flags.context) {
    if (!kc.getContextObject(flags.context)) throw new Error(`context was not found for specified context: ${flags.context}`);
    kc.setCurrentContext(flags.context);
  }
  const fromContext = kc.getContextObject(kc.getCurrentContext())?.namespace;
  return {
    kc,
    namespace: flags.namespace || fromContext || 'default',
    explicitNamespace: Boolean(flags.namespace),
  };
}
