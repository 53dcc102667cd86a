// Command-line options of `npm run bench` and the sizes of each run form.
import { parseArgs } from 'node:util';

/** The scenarios, in the order they run. */
export const SCENARIOS = ['create', 'get', 'latency', 'watch', 'list', 'log', 'exec'] as const;
/** One scenario's name, as `--only` takes it. */
export type ScenarioName = (typeof SCENARIOS)[number];

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
}

const FULL: Sizes = {
  createWarmup: 300, createAtOne: 300, createAt64: 3000,
  getRounds: 3, getRoundMs: 2000,
  latencyRuns: 2000, latencyRate: 500, latencyLowRuns: 250, latencyLowRate: 50, workerConcurrency: 100,
  watchCounts: [1000, 10_000], watchChanges: 3,
  listRuns: 10_000, listRepetitions: 5,
  logBytes: 200_000_000, logRepetitions: 3, logLines: 300, logLineIntervalMs: 10,
  execRoundTrips: 500, execWarmup: 20, execSessions: 10,
};

const QUICK: Sizes = {
  createWarmup: 100, createAtOne: 100, createAt64: 1000,
  getRounds: 1, getRoundMs: 1000,
  latencyRuns: 500, latencyRate: 500, latencyLowRuns: 100, latencyLowRate: 50, workerConcurrency: 100,
  watchCounts: [1000], watchChanges: 2,
  listRuns: 2000, listRepetitions: 3,
  logBytes: 50_000_000, logRepetitions: 1, logLines: 100, logLineIntervalMs: 10,
  execRoundTrips: 200, execWarmup: 10, execSessions: 3,
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
export const USAGE = `usage: node dist/bench/main.js [--quick] [--only ${SCENARIOS.join(',')}] [--out FILE] [--aof] [--profile DIR]
  --quick        a shorter run (fewer requests, no 10,000-watcher fan-out, 50 MB of log)
  --only LIST    comma-separated scenarios to run (default: all)
  --out FILE     where to write the JSON results (default: bench-results.json)
  --aof          run Redis with appendonly yes / appendfsync everysec (default: no persistence)
  --profile DIR  write a V8 CPU profile of every server child process into DIR`;

/** Parses argv (without node and the script); throws an Error with a usage message on bad input. */
export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string', default: 'bench-results.json' },
      aof: { type: 'boolean', default: false },
      profile: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const only = values.only === undefined ? [...SCENARIOS] : values.only.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (unknown.length > 0 || only.length === 0) throw new Error(`unknown scenario(s) ${JSON.stringify(unknown)}\n${USAGE}`);
  return {
    only: only as ScenarioName[], out: values.out, quick: values.quick, aof: values.aof,
    ...(values.profile ? { profileDir: values.profile } : {}),
    sizes: values.quick ? QUICK : FULL,
  };
}
