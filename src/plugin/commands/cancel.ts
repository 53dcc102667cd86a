// kubectl actions cancel NAME [--reason R] [--grace-period S]
import { type Command, InvalidArgumentError } from 'commander';
import { API_VERSION } from '../../apis/kubeactions/types.js';
import { commandContext } from '../context.js';
import { qualifiedName, runPath } from '../resource.js';

interface CancelFlags {
  reason?: string;
  gracePeriod?: number;
}

function seconds(value: string): number {
  if (!/^[0-9]+$/.test(value)) throw new InvalidArgumentError('not a whole number of seconds');
  return Number(value);
}

async function cancel(name: string, flags: CancelFlags, cmd: Command): Promise<void> {
  const ctx = commandContext(cmd);
  const body = {
    apiVersion: API_VERSION,
    kind: 'WorkflowRunCancel',
    ...(flags.reason ? { reason: flags.reason } : {}),
    ...(flags.gracePeriod !== undefined ? { gracePeriodSeconds: flags.gracePeriod } : {}),
  };
  await ctx.client.json('POST', runPath(ctx.namespace, name, 'cancel'), { body });
  process.stdout.write(`${qualifiedName(name)} cancelled\n`);
}

/** Adds `cancel` to `program`. */
export function registerCancel(program: Command): void {
  program.command('cancel')
    .description('Cancel a WorkflowRun: a pending one leaves the queue, a running one has its step stopped (SIGTERM, then SIGKILL)')
    .argument('<name>', 'the WorkflowRun')
    .option('--reason <text>', 'why; becomes the Succeeded condition\'s message')
    .option('--grace-period <seconds>', 'seconds between SIGTERM and SIGKILL', seconds)
    .addHelpText('after', `
Example:
  kubectl actions cancel build-x7k2p --reason superseded`)
    .action(cancel);
}
