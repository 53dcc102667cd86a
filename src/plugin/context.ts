// What every command needs: the API client and namespace from the global flags, and a
// deadline for --timeout.
import type { Command } from 'commander';
import { ApiClient } from './client.js';
import { parseDuration } from './duration.js';
import { ExitError } from './format-error.js';
import { type ConnectionFlags, loadConnection } from './kubeconfig.js';

/** The client, and the namespace the command works in. */
export interface CommandContext {
  client: ApiClient;
  namespace: string;
  /** Whether -n/--namespace was given. */
  explicitNamespace: boolean;
}

/** Loads the kubeconfig named by the global flags of `cmd` (given before or after the command). */
export function commandContext(cmd: Command): CommandContext {
  const { kc, namespace, explicitNamespace } = loadConnection(cmd.optsWithGlobals<ConnectionFlags>());
  return { client: new ApiClient(kc), namespace, explicitNamespace };
}

/**
 * An AbortSignal that aborts after the Go duration `timeout` (undefined when it is absent or
 * zero: no limit). Throws for a duration Go would refuse or a negative one.
 */
export function deadline(timeout: string | undefined): AbortSignal | undefined {
  if (timeout === undefined) return undefined;
  const ms = parseDuration(timeout);
  if (ms < 0) throw new Error(`invalid --timeout ${timeout}: must not be negative`);
  return ms === 0 ? undefined : AbortSignal.timeout(ms);
}

/**
 * Runs `work`; when `signal` has fired by the time it fails, the failure becomes kubectl wait's
 * `error: timed out waiting for the condition on workflowruns/NAME` (exit code 1).
 */
export async function withTimeout<T>(signal: AbortSignal | undefined, name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (signal?.aborted) throw new ExitError(`error: timed out waiting for the condition on workflowruns/${name}`, 1);
    throw err;
  }
}
