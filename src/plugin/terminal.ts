// The local terminal for exec/attach -t: raw mode on stdin, and its size from stdout
// (sent at the start and on every SIGWINCH), as kubectl's term.TTY does.
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
 * Puts `input` (a TTY) in raw mode so keys such as Ctrl-C reach the remote terminal; returns
 * the function that restores the previous mode.
 */
export function enterRawMode(input: NodeJS.ReadStream): () => void {
  const wasRaw = input.isRaw;
  input.setRawMode(true);
  return () => void input.setRawMode(wasRaw);
}
