// The `kubectl actions` command line: global connection flags and one sub-command per action.
import { Command } from 'commander';
import { registerCancel } from './commands/cancel.js';
import { registerLogs } from './commands/logs.js';
import { registerRemote } from './commands/remote.js';
import { registerRetry } from './commands/retry.js';
import { registerRun } from './commands/run.js';
import { registerWatch } from './commands/watch.js';

/** A new program; its actions reject with the errors main.ts prints as kubectl would. */
export function buildProgram(): Command {
  const program = new Command()
    .name('kubectl actions')
    .description('Run, follow and control kube-actions WorkflowRuns (kubeactions.dev/v1alpha1) with your kubeconfig.')
    .option('--kubeconfig <file>', 'the kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'the kubeconfig context to use')
    .option('-n, --namespace <namespace>', 'the namespace (default: the context\'s, else "default")')
    .showHelpAfterError()
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', `
Examples:
  kubectl actions run -f build.yaml --follow --wait
  kubectl actions watch build-x7k2p
  kubectl actions logs -f build-x7k2p
  kubectl actions exec -it build-x7k2p -- sh
  kubectl actions cancel build-x7k2p --reason superseded
  kubectl actions retry build-x7k2p --param GIT_REF=v2`);
  for (const register of [registerRun, registerLogs, registerWatch, registerRemote, registerCancel, registerRetry]) register(program);
  return program;
}
