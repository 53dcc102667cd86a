// How a step's exit status is reported: exit codes as a shell would show them, and the human text
// that ends up in the step's status message.

import { constants } from 'node:os';
import type { StepOutcome } from './executor.js';

/** What Node reports when a child process exits: an exit code, or the signal that killed it. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The outcome, exit code and message of a step that ran to its end. */
export interface ExitResult {
  outcome: StepOutcome;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  message: string;
}

/** Succeeded for exit code 0, else Failed; a signal becomes exit code 128 + its number. */
export function exitResult({ code, signal }: ExitStatus): ExitResult {
  if (signal !== null) {
    return { outcome: 'Failed', exitCode: 128 + constants.signals[signal], signal, message: `killed by ${signal}` };
  }
  const outcome = code === 0 ? 'Succeeded' : 'Failed';
  return { outcome, exitCode: code, signal: null, message: `exit code ${code ?? 'unknown'}` };
}

/** "aborted: <reason>" for an AbortSignal's reason (a string or an Error); just "aborted" if none. */
export function abortedMessage(reason: unknown): string {
  if (typeof reason === 'string' && reason !== '') return `aborted: ${reason}`;
  if (reason instanceof Error && reason.name !== 'AbortError') return `aborted: ${reason.message}`;
  return 'aborted';
}

/** "cannot start: <why>" for whatever prevented the step's process from starting. */
export function startErrorMessage(err: unknown): string {
  return `cannot start: ${err instanceof Error ? err.message : String(err)}`;
}
