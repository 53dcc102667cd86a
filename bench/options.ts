// Command-line options of `npm run bench` and the sizes of each run form.
import { parseArgs } from 'node:util';

/** The scenarios a plain `npm run bench` runs, in this order. */
export const SCENARIOS = ['create', 'get', 'latency', 'watch', 'list', 'log', 'exec'] as const;
/** Scenarios that run only when named (`npm run bench -- soak`, `--only soak`), after the others. */
export const EXTRA_SCENARIOS = ['soak'] as const;
/** One scenario's name, as `--only` and the positional arguments take it. */
export type ScenarioName = (typeof SCENARIOS)[number] | (typeof EXTRA_SCENARIOS)[number];
const ALL_SCENARIOS: readonly string[] = [...SCENARIOS, ...EXTRA_SCENARIOS];

/** How much work each scenario does. */
export interface Sizes {
  createWarmup: number;
  createAtOne: number;
  createAt64: number;
  getRounds: number;
  getRoundMs: number;
  latencyRuns: number;
  latencyRate: number;
  /** A second, lower rate the worker should sustain: the pipeline's latency without a backlog. */
  latencyLowRuns: number;
  latencyLowRate: number;
  workerConcurrency: number;
  watchCounts: number[];
  watchChanges: number;
  listRuns: number;
  listRepetitions: number;
  /** Bytes of step output each log throughput repetition streams. */
  logBytes: number;
  logRepetitions: number;
  /** Lines of the line-latency step, one every `logLineIntervalMs`. */
  logLines: number;
  logLineIntervalMs: number;
  /** exec echo round trips measured on one session, after `execWarmup` unmeasured ones. */
  execRoundTrips: number;
  execWarmup: number;
  /** Sessions opened one after another to time open → first echo. */
  execSessions: number;
  /** Measured seconds of the soak's mix (after its warm-up). */
  soakSeconds: number;
  /** Watches the soak keeps open. */
  soakWatches: number;
  /** Creates per second of the soak; the other verbs' rates are multiples of it. */
  soakRate: number;
}

const FULL: Sizes = {
  createWarmup: 300, createAtOne: 300, createAt64: 3000,
  getRounds: 3, getRoundMs: 2000,
  latencyRuns: 2000, latencyRate: 500, latencyLowRuns: 250, latencyLowRate: 50, workerConcurrency: 100,
  watchCounts: [1000, 10_000], watchChanges: 3,
  listRuns: 10_000, listRepetitions: 5,
  logBytes: 200_000_000, logRepetitions: 3, logLines: 300, logLineIntervalMs: 10,
  execRoundTrips: 500, execWarmup: 20, execSessions: 10,
  soakSeconds: 60, soakWatches: 1000, soakRate: 20,
};

const QUICK: Sizes = {
  createWarmup: 100, createAtOne: 100, createAt64: 1000,
  getRounds: 1, getRoundMs: 1000,
  latencyRuns: 500, latencyRate: 500, latencyLowRuns: 100, latencyLowRate: 50, workerConcurrency: 100,
  watchCounts: [1000], watchChanges: 2,
  listRuns: 2000, listRepetitions: 3,
  logBytes: 50_000_000, logRepetitions: 1, logLines: 100, logLineIntervalMs: 10,
  execRoundTrips: 200, execWarmup: 10, execSessions: 3,
  soakSeconds: 60, soakWatches: 1000, soakRate: 20,
};

/** The parsed command line. */
export interface BenchOptions {
  only: ScenarioName[];
  out: string;
  quick: boolean;
  /** Redis with AOF (fsync every second), as dev mode runs it. */
  aof: boolean;
  /** Where child processes write V8 CPU profiles (--cpu-prof), if anywhere. */
  profileDir?: string;
  sizes: Sizes;
}

/** The help text. */
export const USAGE = `usage: node dist/bench/main.js [SCENARIO…] [--quick] [--only LIST] [--out FILE] [--aof] [--profile DIR]
                         [--duration S] [--watches N] [--rate R]
  SCENARIO…      scenarios to run, as --only takes them: ${ALL_SCENARIOS.join(', ')}
  --quick        a shorter run (fewer requests, no 10,000-watcher fan-out, 50 MB of log)
  --only LIST    comma-separated scenarios to run (default: ${SCENARIOS.join(',')}; soak only when named)
  --out FILE     where to write the JSON results (default: bench-results.json)
  --aof          run Redis with appendonly yes / appendfsync everysec (default: no persistence)
  --profile DIR  write a V8 CPU profile of every server child process into DIR
  --duration S   soak: measured seconds of the mix, after a warm-up (default: 60)
  --watches N    soak: watches kept open over both apiservers (default: 1000)
  --rate R       soak: creates per second; the other verbs run at multiples of it (default: 20)`;

/** A positive number from option `name`, or `fallback` when it is absent. */
function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${JSON.stringify(value)}\n${USAGE}`);
  return n;
}

/** The scenarios named by `--only` and the positional arguments, in run order; the default list if none. */
function selected(only: string | undefined, positionals: string[]): ScenarioName[] {
  const named = [...(only ?? '').split(','), ...positionals].map((s) => s.trim()).filter(Boolean);
  if (named.length === 0) return [...SCENARIOS];
  const unknown = named.filter((s) => !ALL_SCENARIOS.includes(s));
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${JSON.stringify(unknown)}\n${USAGE}`);
  return ALL_SCENARIOS.filter((s) => named.includes(s)) as ScenarioName[];
}

/** Parses argv (without node and the script); throws an Error with a usage message on bad input. */
export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string', default: 'bench-results.json' },
      aof: { type: 'boolean', default: false },
      profile: { type: 'string' },
      duration: { type: 'string' },
      watches: { type: 'string' },
      rate: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const base = values.quick ? QUICK : FULL;
  const sizes: Sizes = {
    ...base,
    soakSeconds: positive('duration', values.duration, base.soakSeconds),
    soakWatches: Math.round(positive('watches', values.watches, base.soakWatches)),
    soakRate: positive('rate', values.rate, base.soakRate),
  };
  return {
    only: selected(values.only, positionals), out: values.out, quick: values.quick, aof: values.aof,
    ...(values.profile ? { profileDir: values.profile } : {}),
    sizes,
  };
}
