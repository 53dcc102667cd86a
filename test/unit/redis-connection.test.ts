import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { QueueKeys } from 'bullmq';
import {
  carriesPassword, checkPrefix, composeRedisUrl, hashTag, parseRedisUrl, readRedisUrl, redact, withPassword,
} from '../../src/cli/redis-connection.js';
import { DEFAULT_PREFIX, ResourceKeys } from '../../src/queue/keys.js';
import { RUN_QUEUE } from '../../src/queue/run-queue.js';
import { workersKey } from '../../src/queue/worker-registry.js';

describe('parseRedisUrl', () => {
  it('leaves redis:// and rediss:// URLs of one server to ioredis', () => {
    for (const url of ['redis://127.0.0.1:6379', 'rediss://:secret@redis.example:6380/2', 'redis://user:pw@h']) {
      assert.deepEqual(parseRedisUrl(url), { kind: 'server', url });
    }
  });

  it('reads Cluster seed nodes, default port 6379, IPv6, and percent-decoded credentials', () => {
    assert.deepEqual(parseRedisUrl('redis+cluster://a:7000,b,[::1]:7002'), {
      kind: 'cluster', tls: false,
      nodes: [{ host: 'a', port: 7000 }, { host: 'b', port: 6379 }, { host: '::1', port: 7002 }],
    });
    assert.deepEqual(parseRedisUrl('rediss+cluster://app:p%40ss%3Aw@h1:7000'), {
      kind: 'cluster', tls: true, username: 'app', password: 'p@ss:w', nodes: [{ host: 'h1', port: 7000 }],
    });
    assert.deepEqual(parseRedisUrl('redis+cluster://:only-password@h1:7000'), {
      kind: 'cluster', tls: false, password: 'only-password', nodes: [{ host: 'h1', port: 7000 }],
    });
  });

  it('reads Sentinels (default port 26379), the master name, db and the Sentinels\' own credentials', () => {
    assert.deepEqual(parseRedisUrl('redis+sentinel://s1:26380,s2/mymaster'), {
      kind: 'sentinel', tls: false, name: 'mymaster', db: 0,
      sentinels: [{ host: 's1', port: 26380 }, { host: 's2', port: 26379 }],
    });
    assert.deepEqual(parseRedisUrl('rediss+sentinel://:pw@s1/my%20master/3?sentinelUsername=sen&sentinelPassword=x%26y'), {
      kind: 'sentinel', tls: true, name: 'my master', db: 3, password: 'pw', sentinelUsername: 'sen', sentinelPassword: 'x&y',
      sentinels: [{ host: 's1', port: 26379 }],
    });
  });

  it('rejects other schemes, malformed hosts and misplaced parts with a message naming the URL without its password', () => {
    const bad: [string, RegExp][] = [
      ['http://h:6379', /is not a redis:\/\/, rediss:\/\/, redis\+cluster:\/\/ or redis\+sentinel:\/\/ URL/],
      ['redis+cluster://h1:7000/0', /a Cluster URL has no path or query/],
      ['redis+cluster://h1:99999', /bad host:port "h1:99999"/],
      ['redis+cluster://h1:7000,,h2', /bad host:port ""/],
      ['redis+sentinel://:secret@s1:26379', /a Sentinel URL ends in \/<master name>\[\/<db>\]/],
      ['redis+sentinel://s1/m/x', /ends in \/<master name>/],
      ['redis+sentinel://s1/m?password=x', /unknown parameter password/],
    ];
    for (const [url, message] of bad) {
      assert.throws(() => parseRedisUrl(url), (err: Error) => {
        assert.match(err.message, message, url);
        assert.doesNotMatch(err.message, /secret/);
        return true;
      });
    }
  });

  it('redact masks passwords in userinfo and sentinelPassword', () => {
    assert.equal(redact('redis+cluster://u:pw@h:1,h:2'), 'redis+cluster://u:***@h:1,h:2');
    assert.equal(redact('redis+sentinel://s/m?sentinelPassword=pw&x=1'), 'redis+sentinel://s/m?sentinelPassword=***&x=1');
    assert.equal(redact('redis://h:6379'), 'redis://h:6379');
  });
});

describe('where the Redis URL and its password come from', () => {
  const ARGV = /--redis-url on the command line carries a password, and a process' argv is visible to every process in \/proc\/\*\/cmdline: put the URL in the REDIS_URL environment variable or in --redis-url-file, or the password in --redis-password-file/;

  it('carriesPassword sees a userinfo password (also an empty one) and sentinelPassword, not a username alone', () => {
    for (const url of ['redis://:pw@h', 'redis://u:pw@h:1/2', 'rediss+cluster://u:p%40w@h1,h2', 'redis+sentinel://:@s/m', 'redis+sentinel://s/m?sentinelPassword=x', 'redis+sentinel://s/m?sentinelUsername=a&sentinelPassword=x']) {
      assert.equal(carriesPassword(url), true, url);
    }
    for (const url of ['redis://h:6379', 'redis://kube-actions@h:6379', 'redis+cluster://u@h1:1,h2:2', 'redis+sentinel://s/m?sentinelUsername=a']) {
      assert.equal(carriesPassword(url), false, url);
    }
  });

  it('withPassword adds the percent-encoded password to every kind of target, keeping the username', () => {
    assert.equal(withPassword('redis://h:6379/1', 'pw'), 'redis://:pw@h:6379/1');
    assert.equal(withPassword('rediss://kube-actions@h:6380', 'p@ss:w/rd'), 'rediss://kube-actions:p%40ss%3Aw%2Frd@h:6380');
    assert.deepEqual(parseRedisUrl(withPassword('redis+cluster://app@h1:7000,h2:7001', 'p@ss')), {
      kind: 'cluster', tls: false, username: 'app', password: 'p@ss', nodes: [{ host: 'h1', port: 7000 }, { host: 'h2', port: 7001 }],
    });
    assert.deepEqual(parseRedisUrl(withPassword('redis+sentinel://s1/m?sentinelPassword=sen', 'srv')), {
      kind: 'sentinel', tls: false, name: 'm', db: 0, password: 'srv', sentinelPassword: 'sen', sentinels: [{ host: 's1', port: 26379 }],
    });
    assert.throws(() => withPassword('redis://u:old@h', 'new'), (err: Error) => {
      assert.match(err.message, /the Redis URL redis:\/\/u:\*\*\*@h carries a password and --redis-password-file gives one too: keep one of them/);
      assert.doesNotMatch(err.message, /old|new/);
      return true;
    });
  });

  it('composeRedisUrl refuses a password in argv, accepts it from the environment or a file, and adds a password file', () => {
    assert.throws(() => composeRedisUrl({ url: 'redis://:pw@h', urlInArgv: true }), ARGV);
    assert.throws(() => composeRedisUrl({ url: 'redis+sentinel://s/m?sentinelPassword=pw', urlInArgv: true }), ARGV);
    assert.equal(composeRedisUrl({ url: 'redis://h:1', urlInArgv: true }), 'redis://h:1');
    assert.equal(composeRedisUrl({ url: 'redis://kube-actions@h:1', urlInArgv: true, password: 'pw' }), 'redis://kube-actions:pw@h:1');
    assert.equal(composeRedisUrl({ url: 'redis://:pw@h', urlInArgv: false }), 'redis://:pw@h');
    assert.equal(composeRedisUrl({ urlInArgv: false, urlFromFile: 'rediss://u:pw@h:6380' }), 'rediss://u:pw@h:6380');
    assert.equal(composeRedisUrl({ urlInArgv: false, urlFromFile: 'redis+cluster://u@h:1', password: 'pw' }), 'redis+cluster://u:pw@h:1');
    assert.equal(composeRedisUrl({ urlInArgv: false }), undefined);
    assert.equal(composeRedisUrl({ url: '', urlInArgv: false }), undefined, 'an empty REDIS_URL is no URL');
  });

  it('composeRedisUrl says what conflicts or is missing', () => {
    assert.throws(() => composeRedisUrl({ url: 'redis://h', urlInArgv: false, urlFromFile: 'redis://g' }),
      /--redis-url \(or REDIS_URL\) and --redis-url-file are both given: use one of them/);
    assert.throws(() => composeRedisUrl({ urlInArgv: false, password: 'pw' }),
      /--redis-password-file needs a Redis URL to add the password to: --redis-url, REDIS_URL or --redis-url-file/);
    assert.throws(() => composeRedisUrl({ urlInArgv: false, urlFromFile: 'redis://:a@h', password: 'b' }), /carries a password and --redis-password-file gives one too/);
    assert.throws(() => composeRedisUrl({ urlInArgv: false, urlFromFile: 'http://h' }), /is not a redis:\/\/, rediss:\/\/, redis\+cluster:\/\/ or redis\+sentinel:\/\/ URL/);
  });

  describe('readRedisUrl', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'kube-actions-redis-url-'));
    });
    after(() => rm(dir, { recursive: true, force: true }));
    const file = async (name: string, text: string): Promise<string> => {
      const f = path.join(dir, name);
      await writeFile(f, text);
      return f;
    };

    it('reads --redis-url-file and --redis-password-file, trimmed', async () => {
      const redisUrlFile = await file('url', '  redis://kube-actions@h:6379\n');
      const redisPasswordFile = await file('password', 's3cr et\n');
      assert.equal(await readRedisUrl({ redisUrlFile, redisPasswordFile }, false), 'redis://kube-actions:s3cr%20et@h:6379');
      assert.equal(await readRedisUrl({ redisUrl: 'redis://h:1', redisPasswordFile }, true), 'redis://:s3cr%20et@h:1');
      assert.equal(await readRedisUrl({}, false), undefined);
    });

    it('refuses an empty file and names a missing one', async () => {
      const empty = await file('empty', ' \n');
      await assert.rejects(readRedisUrl({ redisUrl: 'redis://h', redisPasswordFile: empty }, false), { message: `--redis-password-file ${empty} is empty` });
      await assert.rejects(readRedisUrl({ redisUrlFile: path.join(dir, 'missing') }, false), { code: 'ENOENT' });
    });
  });
});

describe('hash tags', () => {
  it('follow Redis Cluster\'s rule: the first {…} after the first {, when not empty', () => {
    assert.equal(hashTag('{ka}:r:workflowruns:idx'), 'ka');
    assert.equal(hashTag('team-a{ka}:x'), 'ka');
    assert.equal(hashTag('{ka}{other}'), 'ka');
    assert.equal(hashTag('{}{ka}'), undefined);
    assert.equal(hashTag('{ka'), undefined);
    assert.equal(hashTag('ka}'), undefined);
    assert.equal(hashTag('ka'), undefined);
  });

  it('every key kube-actions and BullMQ use under the default prefix hashes by {ka}', () => {
    const ours = new ResourceKeys(DEFAULT_PREFIX, RUN_QUEUE);
    const member = 'default/run-1';
    const uid = '5f1c1b0e-0000-4000-8000-000000000000';
    const keys = [
      ours.object(member), ours.index, ours.resourceVersion, ours.changes, ours.uid(uid), ours.active,
      ours.ttl, ours.log(uid), ours.control, workersKey(DEFAULT_PREFIX),
      ...Object.values(new QueueKeys(DEFAULT_PREFIX).getKeys(RUN_QUEUE)),
      new QueueKeys(DEFAULT_PREFIX).toKey(RUN_QUEUE, uid), new QueueKeys(DEFAULT_PREFIX).toKey(RUN_QUEUE, `${uid}:logs`),
    ];
    assert.ok(keys.length > 25);
    for (const key of keys) assert.equal(hashTag(key), 'ka', key);
  });

  it('checkPrefix refuses a prefix without a hash tag only on a Cluster', () => {
    const cluster = parseRedisUrl('redis+cluster://h:7000');
    assert.throws(() => checkPrefix(cluster, 'ka'), /--redis-prefix "ka" has no hash tag: on Redis Cluster every key .* must be in one slot/);
    assert.throws(() => checkPrefix(cluster, '{}ka'), /has no hash tag/);
    checkPrefix(cluster, '{ka}');
    checkPrefix(cluster, 'team-a:{ka}');
    checkPrefix(parseRedisUrl('redis://h:6379'), 'ka');
    checkPrefix(parseRedisUrl('redis+sentinel://s/m'), 'ka');
  });
});
