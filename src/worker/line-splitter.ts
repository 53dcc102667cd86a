// Turns a byte stream into log lines, the way the CRI log format does: each piece is either a full
// line (it ended with '\n') or a partial one (cut at the size limit, or the stream's last bytes
// without a '\n'). Joining the pieces, with '\n' after every full one, gives back the exact bytes.

/** The longest piece a line splitter emits; longer lines are cut into partial pieces. */
export const MAX_LINE_BYTES = 64 * 1024;

/**
 * Receives one piece: the line's bytes without its '\n', and `partial` = true when no '\n' ended
 * it. The Buffer may be a view into an input chunk; copy it if the chunk's memory is reused.
 */
export type LineHandler = (line: Buffer, partial: boolean) => void;

/** Feeds chunks in with `push`; `end` flushes a last unterminated line as a partial piece. */
export interface LineSplitter {
  push(chunk: Buffer): void;
  end(): void;
}

const NEWLINE = 0x0a;

/** Creates a splitter that calls `onLine` for every line of at most `maxLineBytes` bytes. */
export function lineSplitter(onLine: LineHandler, maxLineBytes: number = MAX_LINE_BYTES): LineSplitter {
  if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) {
    throw new RangeError(`maxLineBytes must be a positive integer, got ${maxLineBytes}`);
  }
  let pending: Buffer[] = [];
  let pendingBytes = 0;

  const emit = (partial: boolean): void => {
    const line = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    onLine(line, partial);
  };

  const append = (segment: Buffer): void => {
    let rest = segment;
    while (pendingBytes + rest.length > maxLineBytes) {
      const take = maxLineBytes - pendingBytes;
      pending.push(rest.subarray(0, take));
      pendingBytes += take;
      emit(true);
      rest = rest.subarray(take);
    }
    if (rest.length > 0) {
      pending.push(rest);
      pendingBytes += rest.length;
    }
  };

  return {
    push(chunk) {
      let start = 0;
      while (start < chunk.length) {
        const newline = chunk.indexOf(NEWLINE, start);
        append(chunk.subarray(start, newline === -1 ? chunk.length : newline));
        if (newline === -1) return;
        emit(false);
        start = newline + 1;
      }
    },
    end() {
      if (pendingBytes > 0) emit(true);
    },
  };
}
