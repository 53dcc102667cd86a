// The flags the built kube-actions CLI accepts, read from its --help, to check deployment files against.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** Long flags (`--redis-url`) listed by `node <root>/<bin> <command> --help`, where bin is the built CLI. */
export function acceptedFlags(root: string, bin: string, command: string): Set<string> {
  const help = execFileSync(process.execPath, [path.join(root, bin), command, '--help'], { encoding: 'utf8' });
  const options = help.slice(help.indexOf('Options:'));
  return new Set([...options.matchAll(/^\s+(?:-\w, )?(--[a-z][a-z0-9-]*)/gm)].map((m) => m[1] ?? ''));
}

/** The long flags in an argument list, for both `--flag value` and `--flag=value`. */
export function flagsIn(args: readonly string[]): string[] {
  return args.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0] ?? a);
}
