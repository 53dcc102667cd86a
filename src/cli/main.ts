#!/usr/bin/env node
// kube-actions: `dev` (apiserver + worker + a private redis-server), `apiserver`, `worker`.
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseGoDuration } from '../apiserver/timeout.js';
import { addAuthFlags } from '../apiserver/auth/options.js';
import { addLoadFlags, durationOption } from '../apiserver/load-options.js';
import { REQUEST_LOG_MODES } from '../apiserver/request-observer.js';
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

function workerOptions(cmd: Command): Command {
  return cmd
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
