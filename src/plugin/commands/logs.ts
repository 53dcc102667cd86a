// kubectl actions logs [-f] [--step S] [--tail N] [--since D] [--timestamps] [--previous] NAME
import { type Command, InvalidArgumentError } from 'commander';
import { commandContext } from '../context.js';
import { parseDuration } from '../duration.js';
import { type LogOptions, streamLog } from '../log-stream.js';

interface LogsFlags {
  follow?: boolean;
  step?: string;
  tail: number;
  since?: string;
  sinceTime?: string;
  timestamps?: boolean;
  previous?: boolean;
  attempt?: number;
  limitBytes?: number;
}

function integer(value: string): number {
  if (!/^-?[0-9]+$/.test(value)) throw new InvalidArgumentError('not an integer');
  return Number(value);
}

/** The log options the flags stand for, as kubectl logs maps its own (`--since` rounds up to seconds). */
export function logOptions(flags: LogsFlags): LogOptions {
  const opts: LogOptions = {};
  if (flags.follow) opts.follow = true;
  if (flags.step) opts.step = flags.step;
  if (flags.tail >= 0) opts.tailLines = flags.tail;
  if (flags.since !== undefined && flags.sinceTime !== undefined) throw new Error('at most one of --since-time or --since may be specified');
  if (flags.since !== undefined) opts.sinceSeconds = Math.ceil(parseDuration(flags.since) / 1000);
  if (flags.sinceTime !== undefined) opts.sinceTime = flags.sinceTime;
  if (flags.timestamps) opts.timestamps = true;
  if (flags.previous) opts.previous = true;
  if (flags.attempt !== undefined) opts.attempt = flags.attempt;
  if (flags.limitBytes !== undefined) opts.limitBytes = flags.limitBytes;
  return opts;
}

async function logs(name: string, flags: LogsFlags, cmd: Command): Promise<void> {
  const opts = logOptions(flags);
  const ctx = commandContext(cmd);
  await streamLog(ctx.client, ctx.namespace, name, opts, process.stdout);
}

/** Adds `logs` to `program`. */
export function registerLogs(program: Command): void {
  program.command('logs')
    .description('Print the log of a WorkflowRun (all steps in order, or one step)')
    .argument('<name>', 'the WorkflowRun')
    .option('-f, --follow', 'stream the log until the run ends')
    .option('-c, --step <step>', 'only this step\'s output')
    .option('--tail <lines>', 'only the last N lines; -1 for all', integer, -1)
    .option('--since <duration>', 'only lines newer than this (Go duration: 5s, 2m, 3h)')
    .option('--since-time <time>', 'only lines at or after this RFC 3339 time')
    .option('--timestamps', 'prefix each line with its RFC 3339 timestamp')
    .option('-p, --previous', 'the previous attempt\'s log')
    .option('--attempt <n>', 'this attempt\'s log (1, 2, …)', integer)
    .option('--limit-bytes <n>', 'stop after this many bytes', integer)
    .addHelpText('after', `
Examples:
  kubectl actions logs build-x7k2p
  kubectl actions logs -f --step test build-x7k2p
  kubectl actions logs --tail 20 --timestamps --since 10m build-x7k2p`)
    .action(logs);
}
