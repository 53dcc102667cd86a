// kubectl actions retry NAME [--param k=v]…
import { type Command, Option } from 'commander';
import { API_VERSION, type WorkflowRun } from '../../apis/kubeactions/types.js';
import { commandContext } from '../context.js';
import { collectParam, parseParams } from '../params.js';
import { qualifiedName, runPath } from '../resource.js';

interface RetryFlags {
  param?: string[];
  output?: 'name';
}

async function retry(name: string, flags: RetryFlags, cmd: Command): Promise<void> {
  const ctx = commandContext(cmd);
  const params = parseParams(flags.param ?? []);
  const body = { apiVersion: API_VERSION, kind: 'WorkflowRunRetry', ...(Object.keys(params).length > 0 ? { params } : {}) };
  const created = await ctx.client.json<WorkflowRun>('POST', runPath(ctx.namespace, name, 'retry'), { body });
  const next = qualifiedName(created.metadata.name);
  process.stdout.write(flags.output === 'name' ? `${next}\n` : `${next} created\n`);
}

/** Adds `retry` to `program`. */
export function registerRetry(program: Command): void {
  program.command('retry')
    .description('Run a WorkflowRun again as a new run (same spec, parameters overridden); prints the new run\'s name')
    .argument('<name>', 'the WorkflowRun to run again')
    .option('--param <key=value>', 'override spec.params.KEY (repeatable)', collectParam)
    .addOption(new Option('-o, --output <format>', 'print only the resource name').choices(['name']))
    .addHelpText('after', `
Example:
  kubectl actions retry build-x7k2p --param GIT_REF=v2`)
    .action(retry);
}
