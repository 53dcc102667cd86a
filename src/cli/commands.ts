// The three commands: what each starts, in which order, and how each stops.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { pino, type Logger } from 'pino';
import { type AuthFlags, authSettingsFromFlags } from '../apiserver/auth/options.js';
import { type LoadFlags, loadLimitsFromFlags } from '../apiserver/load-options.js';
import type { RequestLogMode } from '../apiserver/request-observer.js';
import type { UserInfo } from '../apiserver/types.js';
import { ensureServingCertificate } from './certs.js';
import { type ApiServerSettings, type RedisSettings, type Running, type WorkerSettings, startApiServer, startWorker } from './components.js';
import { DATA_DIR_ENTRIES, prepareDataDir } from './data-dir.js';
import { ensureAdminToken, generateToken, writeKubeconfig } from './kubeconfig.js';
import { type RedisChild, startRedisServer } from './redis-child.js';
import { type RedisUrlFlags, readRedisUrl } from './redis-connection.js';
import { ensureSecretFile } from './secret-file.js';
import { closedAncestor, type IsolationMode, type NetworkMode, type SandboxSettings } from '../worker/sandbox.js';

interface CommonOpts extends RedisUrlFlags {
  redisPrefix: string;
  changeHistory: number;
  logLevel: string;
  /** --shutdown-grace-period in ms. */
  shutdownGracePeriod: number;
}
interface ApiOpts extends CommonOpts, AuthFlags, LoadFlags {
  securePort: number;
  bindAddress: string;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  certDir: string;
  tokenAuthFile?: string;
  watchBookmarkInterval: number;
  minRequestTimeout: number;
  requestTimeout: number;
  requestLog: RequestLogMode;
  /** --shutdown-delay-duration in ms. */
  shutdownDelayDuration: number;
}
interface WorkerOpts extends CommonOpts {
  concurrency: number;
  workspaceDir?: string;
  lockDuration: number;
  stalledInterval: number;
  killGracePeriod: number;
  logLimitBytes: number;
  stepIsolation: IsolationMode;
  stepUidRange: { first: number; last: number };
  stepUidLockDir: string;
  stepNetwork: NetworkMode;
  stepMaxProcesses: number;
  stepMaxMemory: number;
  stepMaxFileSize: number;
  stepMaxCpuSeconds: number;
}
type DevOpts = ApiOpts & WorkerOpts & { dataDir: string; port?: number };

/** kube-apiserver's --token-auth-file: `token,user,uid,"group1,group2"` per line. */
export async function readTokenFile(file: string): Promise<Map<string, UserInfo>> {
  const tokens = new Map<string, UserInfo>();
  for (const raw of (await readFile(file, 'utf8')).split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = [...line.matchAll(/"([^"]*)"|([^,]+)|(?<=,)(?=,|$)/g)].map((m) => m[1] ?? m[2] ?? '');
    const [token, name, uid, groups] = fields;
    if (!token || !name) throw new Error(`${file}: a line needs at least token and user`);
    tokens.set(token, { name, ...(uid ? { uid } : {}), groups: groups ? groups.split(',').map((g) => g.trim()).filter(Boolean) : [] });
  }
  return tokens;
}

function logger(level: string): Logger {
  return pino({ level, base: undefined });
}

function workerSettings(o: WorkerOpts, workspaceDir: string): WorkerSettings {
  return {
    concurrency: o.concurrency,
    workspaceDir,
    lockDurationMs: o.lockDuration * 1000,
    stalledIntervalMs: o.stalledInterval * 1000,
    killGraceMs: o.killGracePeriod * 1000,
    shutdownGraceMs: o.shutdownGracePeriod,
    logLimitBytes: o.logLimitBytes,
    isolation: isolationSettings(o),
  };
}

function isolationSettings(o: WorkerOpts): SandboxSettings {
  return {
    mode: o.stepIsolation,
    uids: o.stepUidRange,
    lockDir: resolve(o.stepUidLockDir),
    network: o.stepNetwork,
    max: { processes: o.stepMaxProcesses, memoryBytes: o.stepMaxMemory, fileBytes: o.stepMaxFileSize, cpuSeconds: o.stepMaxCpuSeconds },
  };
}

/**
 * Dev mode's workspaces: <data-dir>/workspaces, unless step uids could not reach it there (a data
 * dir inside a home directory of mode 0700); then a fresh directory in the system's temp dir.
 */
async function devWorkspaceDir(o: DevOpts, dataDir: string): Promise<string> {
  if (o.workspaceDir) return o.workspaceDir;
  const inDataDir = join(dataDir, 'workspaces');
  if (o.stepIsolation === 'off' || (await closedAncestor(inDataDir)) === undefined) return inDataDir;
  return mkdtemp(join(tmpdir(), 'kube-actions-workspaces-'));
}

async function tlsMaterial(o: ApiOpts, certDir: string): Promise<{ cert: string; key: string; ca: string }> {
  if (o.tlsCertFile && o.tlsPrivateKeyFile) {
    const [cert, key] = await Promise.all([readFile(o.tlsCertFile, 'utf8'), readFile(o.tlsPrivateKeyFile, 'utf8')]);
    return { cert, key, ca: cert };
  }
  return ensureServingCertificate({
    certDir,
    hostnames: ['localhost', 'kube-actions-apiserver', 'kube-actions-apiserver.kube-actions.svc', 'kube-actions-apiserver.kube-actions.svc.cluster.local'],
    ips: ['127.0.0.1', '::1'],
  });
}

/** `inCluster`: whether the pod's service account may stand in for a missing kubeconfig (not in dev mode). */
function apiSettings(o: ApiOpts, tls: { cert: string; key: string }, tokens: Map<string, UserInfo>, port: number, host: string, inCluster: boolean): ApiServerSettings {
  return {
    port, host, cert: tls.cert, key: tls.key, tokens, auth: authSettingsFromFlags(o, inCluster),
    ...(o.tlsCertFile && o.tlsPrivateKeyFile ? { certFiles: { certFile: o.tlsCertFile, keyFile: o.tlsPrivateKeyFile } } : {}),
    bookmarkIntervalMs: o.watchBookmarkInterval * 1000,
    minRequestTimeoutSeconds: o.minRequestTimeout,
    requestTimeoutMs: o.requestTimeout,
    requestLog: o.requestLog,
    shutdownGraceMs: o.shutdownGracePeriod,
    shutdownDelayMs: o.shutdownDelayDuration,
    limits: loadLimitsFromFlags(o),
  };
}

/** The Redis URL given by the flags (see src/cli/redis-connection.ts `readRedisUrl`), if any. */
function givenRedisUrl(o: CommonOpts, cmd: Command): Promise<string | undefined> {
  return readRedisUrl(o, cmd.getOptionValueSource('redisUrl') === 'cli');
}

/** The `redis` settings of the apiserver and the worker, which need a Redis URL. */
async function redisSettings(o: CommonOpts, cmd: Command): Promise<RedisSettings> {
  const url = await givenRedisUrl(o, cmd);
  if (url === undefined) throw new Error(`${cmd.name()} needs a Redis URL: --redis-url, env REDIS_URL or --redis-url-file`);
  return { url, prefix: o.redisPrefix, changeHistory: o.changeHistory };
}

/** Dev mode's user of its private redis-server, whose password is kept in the data directory. */
const DEV_REDIS_USER = 'kube-actions';

/** Starts dev mode's private redis-server, which requires its user's password. */
async function startDevRedis(dataDir: string): Promise<RedisChild> {
  const password = await ensureSecretFile(join(dataDir, DATA_DIR_ENTRIES.redisPassword), generateToken);
  return startRedisServer({
    dir: join(dataDir, DATA_DIR_ENTRIES.redis),
    logFile: join(dataDir, DATA_DIR_ENTRIES.redisLog),
    auth: { username: DEV_REDIS_USER, password },
  });
}

/**
 * Runs `start`, which pushes what it starts onto `parts`; stops everything gracefully in reverse
 * order on SIGINT/SIGTERM (a second signal exits at once, 130), or when starting fails (then
 * exits 1 with the reason).
 */
async function supervise(log: Logger, start: (parts: Running[]) => Promise<void>): Promise<void> {
  const parts: Running[] = [];
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    for (const p of [...parts].reverse()) await p.stop().catch((err: unknown) => log.error({ err }, 'stop failed'));
    log.info('stopped');
    process.exit(code);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    log.info({ signal }, 'shutting down');
    void stop(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await start(parts);
  } catch (err) {
    process.stderr.write(`kube-actions: ${err instanceof Error ? err.message : String(err)}\n`);
    await stop(1);
  }
}

export async function runDev(o: DevOpts, cmd: Command): Promise<void> {
  const log = logger(o.logLevel);
  await supervise(log, (parts) => startDev(o, cmd, log, parts));
}

async function startDev(o: DevOpts, cmd: Command, log: Logger, parts: Running[]): Promise<void> {
  const dataDir = resolve(o.dataDir);
  await prepareDataDir(dataDir);
  let redisUrl = await givenRedisUrl(o, cmd);
  if (redisUrl === undefined) {
    const child = await startDevRedis(dataDir);
    parts.push(child);
    redisUrl = child.url;
  }
  const redis = { url: redisUrl, prefix: o.redisPrefix, changeHistory: o.changeHistory };
  const tls = await tlsMaterial(o, join(dataDir, DATA_DIR_ENTRIES.certs));
  const token = await ensureAdminToken(dataDir);
  const tokens = o.tokenAuthFile ? await readTokenFile(o.tokenAuthFile) : new Map<string, UserInfo>();
  tokens.set(token, { name: 'kube-actions-admin', groups: ['system:masters'] });
  const host = cmd.getOptionValueSource('bindAddress') === 'default' ? '127.0.0.1' : o.bindAddress;
  const port = o.port ?? o.securePort;
  const api = await startApiServer(redis, apiSettings(o, tls, tokens, port, host, false), log);
  parts.push(api);
  parts.push(await startWorker(redis, workerSettings(o, await devWorkspaceDir(o, dataDir)), log));
  const kubeconfig = join(dataDir, DATA_DIR_ENTRIES.kubeconfig);
  const address = api.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  await writeKubeconfig(kubeconfig, { server: `https://127.0.0.1:${actualPort}`, caPem: tls.ca, token });
  process.stdout.write(`kube-actions dev is serving on https://127.0.0.1:${actualPort} — use it with: export KUBECONFIG=${kubeconfig}\n`);
}

export async function runApiServer(o: ApiOpts, cmd: Command): Promise<void> {
  const log = logger(o.logLevel);
  await supervise(log, async (parts) => {
    const tls = await tlsMaterial(o, resolve(o.certDir));
    const tokens = o.tokenAuthFile ? await readTokenFile(o.tokenAuthFile) : new Map<string, UserInfo>();
    const redis = await redisSettings(o, cmd);
    const api = await startApiServer(redis, apiSettings(o, tls, tokens, o.securePort, o.bindAddress, true), log);
    parts.push(api);
    const address = api.server.address();
    log.info({ port: typeof address === 'object' && address ? address.port : o.securePort }, 'apiserver serving');
  });
}

export async function runWorker(o: WorkerOpts, cmd: Command): Promise<void> {
  const log = logger(o.logLevel);
  await supervise(log, async (parts) => {
    const workspaceDir = o.workspaceDir ?? (await mkdtemp(join(tmpdir(), 'kube-actions-workspaces-')));
    const redis = await redisSettings(o, cmd);
    parts.push(await startWorker(redis, workerSettings(o, workspaceDir), log));
    log.info({ concurrency: o.concurrency }, 'worker started');
  });
}
