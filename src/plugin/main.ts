#!/usr/bin/env node
// kubectl-actions: the kubectl plugin for kube-actions (`kubectl actions …` once it is on PATH).
import { describeError } from './format-error.js';
import { buildProgram } from './program.js';

/** Resolves once everything written to `stream` so far has been handed to the OS. */
function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

let exitCode = 0;
try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  const described = describeError(err);
  if (described.message) process.stderr.write(`${described.message.replace(/\n$/, '')}\n`);
  exitCode = described.exitCode;
}
await Promise.all([flush(process.stdout), flush(process.stderr)]);
process.exit(exitCode);
