// kubectl actions run -f FILE [--param k=v]… [--follow] [--wait] [--timeout D]
import { type Command, Option } from 'commander';
import type { WorkflowRun } from '../../apis/kubeactions/types.js';
import { commandContext, deadline, withTimeout } from '../context.js';
import { ExitError } from '../format-error.js';
import { streamLog } from '../log-stream.js';
import { manifestNamespace, readManifest, withParams } from '../manifest.js';
import { collectParam, parseParams } from '../params.js';
import { collectionPath, qualifiedName } from '../resource.js';
import { waitForRun } from '../run-watch.js';

interface RunFlags {
  filename: string;
  param?: string[];
  follow?: boolean;
  wait?: boolean;
  timeout?: string;
  output?: 'name';
}

/** The line for a finished run, and the exit code: 0 only when it Succeeded. */
export function outcome(run: WorkflowRun): { line: string; exitCode: number } {
  const phase = run.status?.phase ?? 'Unknown';
  const condition = run.status?.conditions?.find((c) => c.type === 'Succeeded');
  const name = qualifiedName(run.metadata.name);
  if (phase === 'Succeeded') return { line: `${name} succeeded`, exitCode: 0 };
  const reason = condition?.reason ? ` (${condition.reason})` : '';
  return { line: `${name} ${phase}${reason}: ${condition?.message ?? 'no message'}`, exitCode: 1 };
}

async function run(flags: RunFlags, cmd: Command): Promise<void> {
  const ctx = commandContext(cmd);
  const signal = deadline(flags.timeout);
  const manifest = withParams(await readManifest(flags.filename), parseParams(flags.param ?? []));
  const namespace = manifestNamespace(manifest, ctx.namespace, ctx.explicitNamespace);
  const created = await ctx.client.json<WorkflowRun>('POST', collectionPath(namespace), { body: manifest });
  const name = created.metadata.name;
  process.stdout.write(flags.output === 'name' ? `${qualifiedName(name)}\n` : `${qualifiedName(name)} created\n`);
  if (!flags.follow && !flags.wait) return;
  const finished = await withTimeout(signal, name, async () => {
    if (flags.follow) await streamLog(ctx.client, namespace, name, { follow: true }, process.stdout, signal);
    return flags.wait ? waitForRun(ctx.client, namespace, name, signal) : undefined;
  });
  if (!finished) return;
  const { line, exitCode } = outcome(finished);
  if (exitCode !== 0) throw new ExitError(line, exitCode);
  if (!flags.follow) process.stdout.write(`${line}\n`);
}

/** Adds `run` to `program`. */
export function registerRun(program: Command): void {
  program.command('run')
    .description('Create a WorkflowRun from a file (YAML or JSON), optionally following its log and waiting for it to finish')
    .requiredOption('-f, --filename <file>', 'the WorkflowRun manifest; - reads stdin')
    .option('--param <key=value>', 'set spec.params.KEY (repeatable); overrides the file', collectParam)
    .option('--follow', 'stream the run\'s log until it ends')
    .option('--wait', 'wait until the run finishes; exit 0 if it Succeeded, 1 otherwise')
    .option('--timeout <duration>', 'bound --follow and --wait (Go duration: 30s, 10m, 1h); 0 means no limit')
    .addOption(new Option('-o, --output <format>', 'print only the resource name').choices(['name']))
    .addHelpText('after', `
Examples:
  kubectl actions run -f build.yaml
  kubectl actions run -f build.yaml --param GIT_REF=v2 --follow --wait --timeout 10m
  cat build.json | kubectl actions run -f - --wait`)
    .action(run);
}
