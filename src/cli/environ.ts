// Forgetting an environment variable that holds a secret. Deleting it from process.env
// (unsetenv) keeps child processes from inheriting it, but /proc/<pid>/environ shows the block the
// process was started with, whatever happened since; so its entries there are overwritten too, as
// setproctitle() implementations do with argv.
import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';

/**
 * Removes `name` from process.env and, on Linux, overwrites each `name=value` entry of the
 * initial environment block with NUL bytes (through /proc/self/mem, between `env_start` and
 * `env_end` of /proc/self/stat). Does nothing when `name` is not set. When the block cannot be
 * rewritten, says so on stderr: the value then stays readable to whoever may read this
 * process' /proc/<pid>/environ (its own uid and root).
 */
export function forgetEnv(name: string): void {
  if (process.env[name] === undefined) return;
  delete process.env[name];
  if (process.platform !== 'linux') return;
  try {
    scrubInitialEnvironment(`${name}=`);
  } catch (err) {
    process.stderr.write(`kube-actions: warning: ${name} is still readable in /proc/${process.pid}/environ: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}

function scrubInitialEnvironment(entryPrefix: string): void {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields from 3 (state) on follow the command name in parentheses; env_start and env_end are 50 and 51.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[47]);
  const end = Number(fields[48]);
  if (!(start > 0 && end > start)) throw new Error('/proc/self/stat has no env_start and env_end');
  const fd = openSync('/proc/self/mem', 'r+');
  try {
    const block = Buffer.alloc(end - start);
    readSync(fd, block, 0, block.length, start);
    for (let at = 0; at < block.length; ) {
      const nul = block.indexOf(0, at);
      const next = nul < 0 ? block.length : nul;
      if (block.toString('latin1', at, at + entryPrefix.length) === entryPrefix) {
        writeSync(fd, Buffer.alloc(next - at), 0, next - at, start + at);
      }
      at = next + 1;
    }
  } finally {
    closeSync(fd);
  }
}
