// The load-protection flags (kube-apiserver's --max-requests-inflight and
// --max-mutating-requests-inflight, plus ours for watches, exec sessions, websocket messages and
// slow clients) and their translation into {@link LoadLimits}.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { parseGoDuration } from './timeout.js';

/** What one apiserver process accepts at once, and how long it waits for a request to arrive. */
export interface LoadLimits {
  /** Non-mutating requests (get, list) in flight, watches and streams not counted; 0: unlimited. */
  maxRequestsInFlight: number;
  /** Mutating requests in flight; 0: unlimited. */
  maxMutatingRequestsInFlight: number;
  /** Open watch requests; 0: unlimited. */
  maxWatches: number;
  /** Open exec and attach websocket sessions; 0: unlimited. */
  maxExecSessions: number;
  /** The largest websocket message a client may send; a bigger one closes the websocket with 1009. */
  maxWebSocketMessageBytes: number;
  /** A request's headers must arrive within this long of its first byte; 0: no limit. */
  headerReadTimeoutMs: number;
  /** A request's headers and body must arrive within this long of its first byte; 0: no limit. */
  bodyReadTimeoutMs: number;
}

export const DEFAULT_LOAD_LIMITS: Readonly<LoadLimits> = {
  maxRequestsInFlight: 400,
  maxMutatingRequestsInFlight: 200,
  maxWatches: 10_000,
  maxExecSessions: 256,
  maxWebSocketMessageBytes: 1024 * 1024,
  headerReadTimeoutMs: 10_000,
  bodyReadTimeoutMs: 60_000,
};

/** The parsed flags (commander's camel-cased names). */
export interface LoadFlags {
  maxRequestsInflight: number;
  maxMutatingRequestsInflight: number;
  maxWatches: number;
  maxExecSessions: number;
  maxWebsocketMessageBytes: number;
  headerReadTimeout: number;
  bodyReadTimeout: number;
}

function count(flags: string, description: string, defaultValue: number, min = 0): Option {
  return new Option(flags, description).default(defaultValue).argParser((value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`an integer of at least ${min}`);
    return n;
  });
}

/** A flag taking a Go duration (0 included), in milliseconds. */
export function durationOption(flags: string, description: string, defaultMs: number): Option {
  return new Option(flags, description).default(defaultMs, `${defaultMs / 1000}s`).argParser((value: string) => {
    const ms = parseGoDuration(value);
    if (ms === undefined) throw new InvalidArgumentError('a Go duration such as 10s or 1m30s, or 0');
    return ms;
  });
}

/** Adds every load-protection flag to `cmd`. */
export function addLoadFlags(cmd: Command): Command {
  const d = DEFAULT_LOAD_LIMITS;
  return cmd
    .addOption(count('--max-requests-inflight <n>', 'non-mutating requests (get, list) served at once, watches and streams not counted; more get 429 (system:masters exempt); 0: unlimited', d.maxRequestsInFlight))
    .addOption(count('--max-mutating-requests-inflight <n>', 'mutating requests served at once; more get 429 (system:masters exempt); 0: unlimited', d.maxMutatingRequestsInFlight))
    .addOption(count('--max-watches <n>', 'watch requests open at once on this process; more get 429; 0: unlimited', d.maxWatches))
    .addOption(count('--max-exec-sessions <n>', 'exec and attach sessions open at once on this process; more get 429; 0: unlimited', d.maxExecSessions))
    .addOption(count('--max-websocket-message-bytes <n>', 'largest websocket message a client may send; a bigger one closes the websocket with 1009', d.maxWebSocketMessageBytes, 1))
    .addOption(durationOption('--header-read-timeout <duration>', 'a request whose headers have not arrived this long after its first byte is answered 408 and its connection closed; 0: no limit', d.headerReadTimeoutMs))
    .addOption(durationOption('--body-read-timeout <duration>', 'a request whose headers and body have not arrived this long after its first byte is answered 408 and its connection closed; 0: no limit', d.bodyReadTimeoutMs));
}

/** The limits the flags describe. */
export function loadLimitsFromFlags(f: LoadFlags): LoadLimits {
  return {
    maxRequestsInFlight: f.maxRequestsInflight,
    maxMutatingRequestsInFlight: f.maxMutatingRequestsInflight,
    maxWatches: f.maxWatches,
    maxExecSessions: f.maxExecSessions,
    maxWebSocketMessageBytes: f.maxWebsocketMessageBytes,
    headerReadTimeoutMs: f.headerReadTimeout,
    bodyReadTimeoutMs: f.bodyReadTimeout,
  };
}
