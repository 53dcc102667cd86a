import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QueueKeys } from 'bullmq';
import { checkPrefix, hashTag, parseRedisUrl, redact } from '../../src/cli/redis-connection.js';
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
