#!/usr/bin/env node
// kube-actions: `dev` (apiserver + worker + a private redis-server), `apiserver`, `worker`.
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseGoDuration } from '../apiserver/timeout.js';
import { addAuthFlags } from '../apiserver/auth/options.js';
import { addLoadFlags, durationOption } from '../apiserver/load-options.js';
import { REQUEST_LOG_MODES } from '../apiserver/request-observer.js';
import { parseQuantity } from '../apiserver/quantity.js';
import { DEFAULT_LOCK_DIR, DEFAULT_STEP_LIMITS, parseUidRange } from '../worker/sandbox.js';
import { runApiServer, runDev, runWorker } from './commands.js';
import { forgetEnv } from './environ.js';

function parseRequestTimeout(v: string): number {
  const ms = parseGoDuration(v);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError('a positive Go duration such as 60s or 1m30s');
  return ms;
}

const program = new Command()
  .name('kube-actions')
  .description('A Kubernetes aggregated API server for one-time actions (WorkflowRuns), queued in BullMQ.')
  .showHelpAfterError();

/**
 * The Redis flags. REDIS_URL is read when the command line is parsed and forgotten before the
 * command runs, so that no child process inherits it (see src/cli/environ.ts).
 */
function redisOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--redis-url <url>', 'Redis to use; a password only through env REDIS_URL or the files below (argv is visible to every process)').env('REDIS_URL'))
    .option('--redis-url-file <file>', 'file holding the Redis URL (which may carry the password)')
    .option('--redis-password-file <file>', "file holding the Redis servers' password, added to the URL (whose username stays)")
    .addOption(new Option('--redis-prefix <prefix>', 'prefix (hash tag) of every Redis key').default('{ka}'))
    .addOption(new Option('--change-history <n>', 'change events kept for resuming watches').default(100000).argParser(Number))
    .addOption(durationOption('--shutdown-grace-period <duration>', 'after SIGTERM, how long requests in flight (apiserver) or runs (worker) may go on', 25_000))
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info').env('LOG_LEVEL'))
    .hook('preAction', () => forgetEnv('REDIS_URL'));
}

function apiserverOptions(cmd: Command): Command {
  return addLoadFlags(addAuthFlags(cmd
    .addOption(new Option('--secure-port <port>', 'HTTPS port').default(8443).argParser(Number))
    .addOption(new Option('--bind-address <ip>', 'address to listen on (dev: 127.0.0.1 unless given)').default('0.0.0.0'))
    .option('--tls-cert-file <file>', 'serving certificate (PEM); default: self-signed, kept in --cert-dir')
    .option('--tls-private-key-file <file>', 'serving key (PEM)')
    .option('--cert-dir <dir>', 'where the self-signed certificate is kept (dev: <data-dir>/certs)', 'apiserver.local.config/certificates')
    .option('--token-auth-file <file>', 'static bearer tokens, kube-apiserver CSV format: token,user,uid,"group1,group2"')
    .addOption(new Option('--watch-bookmark-interval <seconds>', 'seconds between BOOKMARK events').default(60).argParser(Number))
    .addOption(new Option('--request-timeout <duration>', 'requests other than watch, log, exec and attach end with 504 after this (Go duration)').default(60_000, '60s').argParser(parseRequestTimeout))
    .addOption(durationOption('--shutdown-delay-duration <duration>', 'after SIGTERM, keep serving this long with /readyz failing, so that endpoints drop the pod before it stops accepting', 0))
    .addOption(new Option('--min-request-timeout <seconds>', 'watches without timeoutSeconds end after 1-2x this').default(1800).argParser(Number))
    .addOption(new Option('--request-log <mode>', 'requests logged at info level: all; notable (mutating, failed or slower than 1s); none')
      .choices(REQUEST_LOG_MODES).default('notable'))));
}

function positiveWhole(v: string): number {
  const n = parseQuantity(v);
  if (n === undefined || n <= 0 || !Number.isInteger(n)) throw new InvalidArgumentError('a positive whole number');
  return n;
}

function bytes(v: string): number {
  const n = parseQuantity(v);
  if (n === undefined || n <= 0) throw new InvalidArgumentError('a positive quantity such as 512Mi or 4Gi');
  return Math.ceil(n);
}

function uidRange(v: string): { first: number; last: number } {
  try {
    return parseUidRange(v);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
}

function isolationOptions(cmd: Command): Command {
  const max = DEFAULT_STEP_LIMITS;
  return cmd
    .addOption(new Option('--step-isolation <mode>', 'run each run\'s processes under a uid of their own, without capabilities: auto (when the worker can, else warn), required (refuse to start when it cannot), off')
      .choices(['auto', 'required', 'off']).default('auto'))
    .addOption(new Option('--step-uid-range <first-last>', 'uids (and gids) given to runs, one per run').default({ first: 100000, last: 165535 }, '100000-165535').argParser(uidRange))
    .option('--step-uid-lock-dir <dir>', 'host-wide directory of the uid locks (root-only)', DEFAULT_LOCK_DIR)
    .addOption(new Option('--step-network <mode>', 'network of every step: Host, or None (a network of its own with only loopback); runs may ask for None with spec.network')
      .choices(['Host', 'None']).default('Host'))
    .addOption(new Option('--step-max-processes <n>', 'processes a run may have at once (its spec.resources.limits.pids may ask for fewer)').default(max.processes).argParser(positiveWhole))
    .addOption(new Option('--step-max-memory <bytes>', 'memory (data segment) of each step process (limits.memory may ask for less)').default(max.memoryBytes, '4Gi').argParser(bytes))
    .addOption(new Option('--step-max-file-size <bytes>', 'the largest file a step may write (limits.ephemeral-storage may ask for less)').default(max.fileBytes, '8Gi').argParser(bytes))
    .addOption(new Option('--step-max-cpu-seconds <n>', 'CPU seconds of each step process (limits.cpu-seconds may ask for fewer)').default(max.cpuSeconds).argParser(positiveWhole));
}

function workerOptions(cmd: Command): Command {
  return isolationOptions(cmd)
    .addOption(new Option('--concurrency <n>', 'runs a worker executes at once').default(10).argParser(Number))
    .option('--workspace-dir <dir>', 'where run workspaces are created (default: a temp dir; dev: <data-dir>/workspaces)')
    .addOption(new Option('--lock-duration <seconds>', 'a worker silent this long is considered lost').default(30).argParser(Number))
    .addOption(new Option('--stalled-interval <seconds>', 'how often lost workers and runs are looked for').default(15).argParser(Number))
    .addOption(new Option('--kill-grace-period <seconds>', 'SIGTERM to SIGKILL grace for stopped steps').default(10).argParser(Number))
    .addOption(new Option('--log-limit-bytes <n>', 'log bytes kept per step').default(16 * 1024 * 1024).argParser(Number));
}

apiserverOptions(workerOptions(redisOptions(program.command('dev'))))
  .description('apiserver and worker in one process; starts a private redis-server when no Redis is given')
  .option('--data-dir <dir>', 'where Redis data and password, certificates, the admin token and the kubeconfig are kept (mode 0711; each 0600 or 0700)', '.data')
  .addOption(new Option('--port <port>', 'alias of --secure-port').argParser(Number))
  .action(runDev);

apiserverOptions(redisOptions(program.command('apiserver')))
  .description('the API server (stateless; any number of replicas)')
  .action(runApiServer);

workerOptions(redisOptions(program.command('worker')))
  .description('the worker that runs WorkflowRuns (any number of replicas)')
  .action(runWorker);

await program.parseAsync();
