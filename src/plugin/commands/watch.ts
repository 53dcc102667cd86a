// kubectl actions watch NAME: a live view of the run's steps until it finishes (argo watch).
import type { Command } from 'commander';
import { isFinished, type WorkflowRun } from '../../apis/kubeactions/types.js';
import { commandContext } from '../context.js';
import { ExitError } from '../format-error.js';
import { watchRun } from '../run-watch.js';
import { renderRun } from '../watch-view.js';

const REFRESH_MS = 1000;

/** Draws views on `out`: in place on a terminal, as appended blocks otherwise. */
class Screen {
  #lines = 0;
  #last = '';

  constructor(readonly out: NodeJS.WriteStream) {}

  draw(run: WorkflowRun): void {
    const tty = this.out.isTTY === true;
    const width = tty && this.out.columns > 0 ? this.out.columns : Number.POSITIVE_INFINITY;
    const lines = renderRun(run, { now: Date.now(), tty }).map((l) => ([...l].length > width ? [...l].slice(0, width).join('') : l));
    const text = lines.join('\n');
    if (text === this.#last) return;
    this.#last = text;
    if (tty) {
      const up = this.#lines > 0 ? `\r\x1b[${this.#lines}A\x1b[J` : '';
      this.out.write(`${up}${text}\n`);
      this.#lines = lines.length;
    } else {
      this.out.write(`${this.#lines++ > 0 ? '\n' : ''}${text}\n`);
    }
  }
}

async function watch(name: string, _flags: unknown, cmd: Command): Promise<void> {
  const ctx = commandContext(cmd);
  const screen = new Screen(process.stdout);
  let latest: WorkflowRun | undefined;
  const timer = process.stdout.isTTY ? setInterval(() => latest && screen.draw(latest), REFRESH_MS) : undefined;
  try {
    for await (const { type, run } of watchRun(ctx.client, ctx.namespace, name)) {
      latest = run;
      screen.draw(run);
      if (isFinished(run.status?.phase)) {
        if (run.status?.phase !== 'Succeeded') throw new ExitError('', 1);
        return;
      }
      if (type === 'DELETED') throw new Error(`workflowrun "${name}" was deleted before it finished`);
    }
  } finally {
    clearInterval(timer);
  }
}

/** Adds `watch` to `program`. */
export function registerWatch(program: Command): void {
  program.command('watch')
    .description('Show the steps of a WorkflowRun live (phase, duration, progress) until it finishes; exit 0 if it Succeeded, 1 otherwise')
    .argument('<name>', 'the WorkflowRun')
    .addHelpText('after', `
Example:
  kubectl actions watch build-x7k2p`)
    .action(watch);
}
