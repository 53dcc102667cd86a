// How kubectl prints an error before exiting (kubectl pkg/cmd/util/helpers.go checkErr and
// StandardErrorMessage), so the plugin's errors read like kubectl's.
import { ConnectionError } from './connection-error.js';
import { StatusError } from './status-error.js';

/** An error that ends the command with `exitCode` after printing `message` (if not empty). */
export class ExitError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = 'ExitError';
  }
}

function invalidMessage(err: StatusError): string {
  const details = err.status.details;
  if (!details) return 'The request is invalid';
  const head = details.kind || details.name ? `The ${details.kind ?? ''} ${JSON.stringify(details.name ?? '')} is invalid` : 'The request is invalid';
  const causes = [...new Set((details.causes ?? []).map((c) => `${c.field ?? ''}: ${c.message ?? ''}`))];
  if (causes.length === 0) return head;
  if (causes.length === 1) return `${head}: ${causes[0]}`;
  return `${head}: \n${causes.map((c) => `* ${c}`).join('\n')}`;
}

function statusMessage(err: StatusError): string {
  const s = err.status;
  if (s.reason === 'Invalid') return invalidMessage(err);
  if (s.reason === 'Unauthorized') return `error: You must be logged in to the server (${s.message ?? 'Unauthorized'})`;
  if (s.reason) return `Error from server (${s.reason}): ${err.message}`;
  return `Error from server: ${err.message}`;
}

/** What to print to stderr for `err` and the exit code, as kubectl's CheckErr decides them. */
export function describeError(err: unknown): { message: string; exitCode: number } {
  if (err instanceof ExitError) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof StatusError) return { message: statusMessage(err), exitCode: 1 };
  if (err instanceof Error) {
    if (err instanceof ConnectionError) return { message: err.message, exitCode: 1 };
    return { message: err.message.startsWith('error: ') ? err.message : `error: ${err.message}`, exitCode: 1 };
  }
  return { message: `error: ${String(err)}`, exitCode: 1 };
}
