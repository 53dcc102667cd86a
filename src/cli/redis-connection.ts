// The Redis connection of a process, from --redis-url: one server, a Redis Cluster (seed nodes),
// or a master found through Redis Sentinel; and where the URL and its password may come from.
import { readFile } from 'node:fs/promises';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisClient } from '../queue/redis-client.js';

/** One `host:port` of a Cluster seed list or a Sentinel list. */
export interface HostPort {
  host: string;
  port: number;
}

/** Credentials of the Redis servers (not of Sentinels), from the URL's userinfo. */
export interface RedisAuth {
  username?: string;
  password?: string;
}

/** Where the URL points; see {@link parseRedisUrl}. */
export type RedisTarget =
  | { kind: 'server'; url: string }
  | ({ kind: 'cluster'; nodes: HostPort[]; tls: boolean } & RedisAuth)
  | ({
      kind: 'sentinel';
      sentinels: HostPort[];
      /** The master's name as the Sentinels know it. */
      name: string;
      db: number;
      tls: boolean;
      sentinelUsername?: string;
      sentinelPassword?: string;
    } & RedisAuth);

const MULTI_HOST = /^(rediss?)\+(cluster|sentinel):\/\/(?:([^@/?#]*)@)?([^/?#]+)(\/[^?#]*)?(?:\?([^#]*))?$/;

/**
 * Parses a --redis-url:
 * - `redis://[[user]:password@]host[:port][/db]`, `rediss://…` (TLS): one server, as ioredis reads it;
 * - `redis+cluster://[[user]:password@]host:port[,host:port…]`, `rediss+cluster://…`: a Redis Cluster
 *   reached through these seed nodes (port 6379 by default);
 * - `redis+sentinel://[[user]:password@]host:port[,host:port…]/<master name>[/db][?sentinelUsername=…&sentinelPassword=…]`,
 *   `rediss+sentinel://…`: the master that these Sentinels (port 26379 by default) name.
 * Userinfo is percent-decoded and holds the Redis servers' credentials. Throws on anything else.
 */
export function parseRedisUrl(url: string): RedisTarget {
  if (/^rediss?:\/\//.test(url)) return { kind: 'server', url };
  const m = MULTI_HOST.exec(url);
  if (!m) {
    throw new Error(`--redis-url ${redact(url)} is not a redis://, rediss://, redis+cluster:// or redis+sentinel:// URL`);
  }
  const [, scheme = '', kind = '', userinfo, hostList = '', path = '', query = ''] = m;
  const tls = scheme === 'rediss';
  const auth = parseUserinfo(userinfo);
  const hosts = hostList.split(',').map((h) => parseHostPort(h, kind === 'cluster' ? 6379 : 26379, url));
  const segments = path.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
  const params = new URLSearchParams(query);
  if (kind === 'cluster') {
    if (segments.length > 0 || query !== '') throw new Error(`--redis-url ${redact(url)}: a Cluster URL has no path or query (Redis Cluster has only database 0)`);
    return { kind: 'cluster', nodes: hosts, tls, ...auth };
  }
  const [name, db = '0', ...rest] = segments;
  if (name === undefined || rest.length > 0 || !/^\d+$/.test(db)) {
    throw new Error(`--redis-url ${redact(url)}: a Sentinel URL ends in /<master name>[/<db>]`);
  }
  for (const key of params.keys()) {
    if (key !== 'sentinelUsername' && key !== 'sentinelPassword') throw new Error(`--redis-url ${redact(url)}: unknown parameter ${key}`);
  }
  return {
    kind: 'sentinel', sentinels: hosts, name, db: Number(db), tls, ...auth,
    ...(params.has('sentinelUsername') ? { sentinelUsername: params.get('sentinelUsername') ?? '' } : {}),
    ...(params.has('sentinelPassword') ? { sentinelPassword: params.get('sentinelPassword') ?? '' } : {}),
  };
}

function parseUserinfo(userinfo: string | undefined): RedisAuth {
  if (userinfo === undefined) return {};
  const colon = userinfo.indexOf(':');
  const username = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
  const password = colon < 0 ? undefined : decodeURIComponent(userinfo.slice(colon + 1));
  return { ...(username === '' ? {} : { username }), ...(password === undefined ? {} : { password }) };
}

function parseHostPort(text: string, defaultPort: number, url: string): HostPort {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d+))?$/.exec(text);
  const port = m?.[2] === undefined ? defaultPort : Number(m[2]);
  if (!m?.[1] || port < 1 || port > 65535) throw new Error(`--redis-url ${redact(url)}: bad host:port ${JSON.stringify(text)}`);
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

/** Where a command is told its Redis URL (the flags of src/cli/main.ts `redisOptions`). */
export interface RedisUrlFlags {
  /** --redis-url, or env REDIS_URL ('' counts as not given). */
  redisUrl?: string;
  /** --redis-url-file: a file holding the URL, which may carry the password. */
  redisUrlFile?: string;
  /** --redis-password-file: a file holding the Redis servers' password, added to the URL. */
  redisPasswordFile?: string;
}

/** What {@link composeRedisUrl} puts together: the flags with the files' contents read. */
export interface RedisUrlSources {
  /** --redis-url or REDIS_URL. */
  url?: string;
  /** Whether `url` was given on the command line (not from the environment). */
  urlInArgv: boolean;
  /** The trimmed content of --redis-url-file. */
  urlFromFile?: string;
  /** The trimmed content of --redis-password-file. */
  password?: string;
}

/**
 * The Redis URL a command is to use, with its credentials, from the sources of
 * {@link RedisUrlSources}; undefined when no URL is given. A password is refused on the command
 * line, where every process can read it (/proc/<pid>/cmdline); a password file is added to the
 * URL's userinfo (see {@link withPassword}). Throws on conflicting sources and on a URL that
 * {@link parseRedisUrl} refuses.
 */
export function composeRedisUrl(s: RedisUrlSources): string | undefined {
  const given = s.url === '' ? undefined : s.url;
  if (given !== undefined && s.urlFromFile !== undefined) {
    throw new Error('--redis-url (or REDIS_URL) and --redis-url-file are both given: use one of them');
  }
  if (given !== undefined && s.urlInArgv && carriesPassword(given)) {
    throw new Error('--redis-url on the command line carries a password, and a process\' argv is visible to every process in /proc/*/cmdline: '
      + 'put the URL in the REDIS_URL environment variable or in --redis-url-file, or the password in --redis-password-file');
  }
  const url = given ?? s.urlFromFile;
  if (url === undefined) {
    if (s.password !== undefined) throw new Error('--redis-password-file needs a Redis URL to add the password to: --redis-url, REDIS_URL or --redis-url-file');
    return undefined;
  }
  parseRedisUrl(url);
  return s.password === undefined ? url : withPassword(url, s.password);
}

/** {@link composeRedisUrl} of the flags, after reading the files they name. */
export async function readRedisUrl(flags: RedisUrlFlags, urlInArgv: boolean): Promise<string | undefined> {
  const [urlFromFile, password] = await Promise.all([
    readSecretFile('--redis-url-file', flags.redisUrlFile),
    readSecretFile('--redis-password-file', flags.redisPasswordFile),
  ]);
  return composeRedisUrl({
    urlInArgv,
    ...(flags.redisUrl === undefined ? {} : { url: flags.redisUrl }),
    ...(urlFromFile === undefined ? {} : { urlFromFile }),
    ...(password === undefined ? {} : { password }),
  });
}

/** The trimmed content of `file` (undefined when no file is named); an empty file is an error. */
async function readSecretFile(flag: string, file: string | undefined): Promise<string | undefined> {
  if (file === undefined) return undefined;
  const text = (await readFile(file, 'utf8')).trim();
  if (text === '') throw new Error(`${flag} ${file} is empty`);
  return text;
}

const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)(?:([^@/?#]*)@)?/i;

/**
 * Whether the URL carries a password: one in its userinfo (`user:password@`, `:password@`), or a
 * Sentinel's `sentinelPassword=` parameter.
 */
export function carriesPassword(url: string): boolean {
  return (USERINFO.exec(url)?.[2] ?? '').includes(':') || /[?&]sentinelPassword=/.test(url);
}

/**
 * The URL with `password` (percent-encoded) in its userinfo, keeping a username that is there
 * (`redis://kube-actions@host` → `redis://kube-actions:<password>@host`): the Redis servers'
 * password, for every kind of target (for Sentinel, not the Sentinels' own). Throws when the
 * URL has a password already.
 */
export function withPassword(url: string, password: string): string {
  const m = USERINFO.exec(url);
  if (!m) throw new Error(`--redis-url ${redact(url)} is not a URL`);
  const [prefix, scheme = '', userinfo = ''] = m;
  if (userinfo.includes(':')) {
    throw new Error(`the Redis URL ${redact(url)} carries a password and --redis-password-file gives one too: keep one of them`);
  }
  return `${scheme}${userinfo}:${encodeURIComponent(password)}@${url.slice(prefix.length)}`;
}

/** The URL with its password(s) masked, for error messages. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:@/]*:)[^@/]*@/, '$1***@').replace(/(sentinelPassword=)[^&#]*/, '$1***');
}

/**
 * The hash tag Redis Cluster hashes a key by: the text between the first `{` and the first `}`
 * after it, when not empty; undefined when the key has none (the whole key is hashed).
 */
export function hashTag(key: string): string | undefined {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

/**
 * Refuses a key prefix that would spread a deployment's keys over several hash slots of a Cluster:
 * its scripts and transactions touch records and BullMQ jobs together, so every key
 * (`<prefix>:…`) must hash by a tag inside the prefix. Other targets accept any prefix.
 */
export function checkPrefix(target: RedisTarget, prefix: string): void {
  if (target.kind === 'cluster' && hashTag(prefix) === undefined) {
    throw new Error(`--redis-prefix ${JSON.stringify(prefix)} has no hash tag: on Redis Cluster every key of kube-actions and BullMQ must be in one slot; use a prefix like "{ka}"`);
  }
}

/**
 * The shared connection of a process to the --redis-url target, after checking `prefix` against
 * it (see {@link checkPrefix}). Auto-pipelining sends the commands of concurrent requests in one
 * write; blocking readers use duplicates without it. Connection errors are left to the commands.
 */
export function connectRedis(url: string, prefix?: string): RedisClient {
  const target = parseRedisUrl(url);
  if (prefix !== undefined) checkPrefix(target, prefix);
  const common = { maxRetriesPerRequest: 2, enableAutoPipelining: true };
  const client = createClient(target, common);
  client.on('error', () => undefined);
  return client;
}

function createClient(target: RedisTarget, common: RedisOptions): RedisClient {
  switch (target.kind) {
    case 'server':
      return new Redis(target.url, common);
    case 'cluster':
      return new Cluster(target.nodes, {
        enableAutoPipelining: common.enableAutoPipelining ?? false,
        redisOptions: { username: target.username, password: target.password, maxRetriesPerRequest: common.maxRetriesPerRequest ?? null, ...(target.tls ? { tls: {} } : {}) },
      });
    case 'sentinel':
      return new Redis({
        ...common,
        username: target.username,
        password: target.password,
        sentinels: target.sentinels,
        name: target.name,
        db: target.db,
        sentinelUsername: target.sentinelUsername,
        sentinelPassword: target.sentinelPassword,
        ...(target.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
      });
  }
}
