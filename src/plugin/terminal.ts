// The local terminal for exec/attach -t: raw mode on stdin, and its size from stdout
// (sent at the start and on every SIGWINCH), as kubectl's term.TTY does.
import { spawnSync } from 'node:child_process';
import type { TerminalSize, TerminalSizeSource } from './remote-command.js';

/** The size of `out` when it is a terminal; what kubectl's `t.GetSize()` reads. */
export function terminalSizes(out: NodeJS.WriteStream): TerminalSizeSource {
  const current = (): TerminalSize | undefined =>
    out.isTTY && out.columns > 0 ? { Width: out.columns, Height: out.rows } : undefined;
  return {
    current,
    onResize(listener) {
      const onSignal = (): void => {
        const size = current();
        if (size) listener(size);
      };
      process.on('SIGWINCH', onSignal);
      return () => void process.off('SIGWINCH', onSignal);
    },
  };
}

/**
 * Puts `input` (a TTY) in raw mode so keys such as Ctrl-C reach the remote terminal, and turns
 * output post-processing off as Go's term.MakeRaw does (libuv's raw mode keeps ONLCR, which
 * would turn the remote terminal's bare line feeds into CR LF and break full-screen programs).
 * Returns the function that restores the previous mode.
 */
export function enterRawMode(input: NodeJS.ReadStream & { fd: number }): () => void {
  input.setRawMode(true);
  spawnSync('stty', ['-opost'], { stdio: [input.fd, 'ignore', 'ignore'] });
  return () => void input.setRawMode(false);
}
