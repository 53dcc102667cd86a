// kubectl actions exec [-i] [-t] NAME -- CMD…  and  kubectl actions attach [-i] [-t] NAME
import type { Command } from 'commander';
import { commandContext } from '../context.js';
import { type RemoteCommandOptions, runRemoteCommand, statusToExitError } from '../remote-command.js';
import { enterRawMode, terminalSizes } from '../terminal.js';

interface RemoteFlags {
  stdin?: boolean;
  tty?: boolean;
  quiet?: boolean;
}

/**
 * Whether the session gets a TTY, decided as kubectl's StreamOptions.SetupTTY does: only with
 * -i, and only when stdin is a terminal (else a notice on stderr unless -q).
 */
function useTty(flags: RemoteFlags): boolean {
  if (!flags.tty || !flags.stdin) return false;
  if (process.stdin.isTTY) return true;
  if (!flags.quiet) process.stderr.write('Unable to use a TTY - input is not a terminal or the right kind of file\n');
  return false;
}

async function session(name: string, flags: RemoteFlags, cmd: Command, subresource: 'exec' | 'attach', command?: string[]): Promise<void> {
  const ctx = commandContext(cmd);
  const tty = useTty(flags);
  const opts: RemoteCommandOptions = {
    subresource,
    tty,
    stdout: process.stdout,
    stderr: process.stderr,
    ...(command ? { command } : {}),
    ...(flags.stdin ? { stdin: process.stdin } : {}),
    ...(tty ? { sizes: terminalSizes(process.stdout) } : {}),
  };
  const restore = tty ? enterRawMode(process.stdin) : undefined;
  try {
    const err = statusToExitError(await runRemoteCommand(ctx.client, ctx.namespace, name, opts));
    if (err) throw err;
  } finally {
    restore?.();
  }
}

function streamFlags(cmd: Command): Command {
  return cmd
    .option('-i, --stdin', 'pass stdin to the remote process')
    .option('-t, --tty', 'stdin is a TTY (raw mode, resized with the terminal)')
    .option('-q, --quiet', 'only print output from the remote session');
}

/** Adds `exec` and `attach` to `program`. */
export function registerRemote(program: Command): void {
  streamFlags(program.command('exec'))
    .description('Run a command in a WorkflowRun\'s workspace and environment; exits with its exit code')
    .argument('<name>', 'the WorkflowRun')
    .argument('<command...>', 'the command and its arguments, after --')
    .addHelpText('after', `
Examples:
  kubectl actions exec build-x7k2p -- ls -la
  kubectl actions exec -it build-x7k2p -- sh`)
    .action((name: string, command: string[], flags: RemoteFlags, cmd: Command) => session(name, flags, cmd, 'exec', command));
  streamFlags(program.command('attach'))
    .description('Attach to the running step of a WorkflowRun (its output, and its stdin with -i)')
    .argument('<name>', 'the WorkflowRun')
    .addHelpText('after', `
Example:
  kubectl actions attach -it build-x7k2p`)
    .action((name: string, flags: RemoteFlags, cmd: Command) => session(name, flags, cmd, 'attach'));
}
