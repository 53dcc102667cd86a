// The log subresource with the PodLogOptions-style options, against the real server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { RunClient } from '../helpers/runs.js';
import { type TestRedis, startTestRedis } from '../helpers/redis.js';
import { type DevServer, startDevServer } from '../helpers/server.js';
import { kubeRequest } from '../helpers/kube-http.js';

const NS = 'default';
const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z $/;

describe('log', { timeout: 120_000 }, () => {
  let redis: TestRedis;
  let server: DevServer;
  let client: RunClient;
  before(async () => {
    redis = await startTestRedis();
    server = await startDevServer({ redisUrl: redis.url });
    client = new RunClient(server);
    await client.create(NS, { name: 'three' }, {
      steps: [
        { name: 'one', run: 'echo a1; echo a2' },
        { name: 'two', run: 'echo b1; echo b2; echo b3' },
        { name: 'three', run: 'printf c1' },
      ],
    });
    await client.untilPhase(NS, 'three', ['Succeeded']);
  });
  after(async () => {
    client?.close();
    await server?.stop();
    await redis?.stop();
  });
  const log = (name: string, query: string) => kubeRequest(server, `/apis/kubeactions.dev/v1alpha1/namespaces/${NS}/workflowruns/${name}/log${query}`);

  it('returns all steps in order as text/plain', async () => {
    const r = await log('three', '');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'] ?? '', /^text\/plain/);
    assert.equal(r.text, 'a1\na2\nb1\nb2\nb3\nc1');
  });

  it('step, tailLines, limitBytes, timestamps, sinceSeconds, sinceTime', async () => {
    assert.equal((await log('three', '?step=two')).text, 'b1\nb2\nb3\n');
    assert.equal((await log('three', '?container=one')).text, 'a1\na2\n');
    assert.equal((await log('three', '?tailLines=2')).text, 'b3\nc1');
    assert.equal((await log('three', '?tailLines=0')).text, '');
    assert.equal((await log('three', '?limitBytes=4')).text, 'a1\na');
    assert.equal((await log('three', '?step=two&tailLines=1&limitBytes=100')).text, 'b3\n');
    const stamped = (await log('three', '?timestamps=true&step=one')).text.split('\n').filter(Boolean);
    assert.equal(stamped.length, 2);
    for (const line of stamped) assert.match(line.slice(0, line.lastIndexOf(' ') + 1), TS);
    assert.deepEqual(stamped.map((l) => l.slice(l.lastIndexOf(' ') + 1)), ['a1', 'a2']);
    assert.equal((await log('three', '?sinceSeconds=3600')).text, 'a1\na2\nb1\nb2\nb3\nc1');
    assert.equal((await log('three', `?sinceTime=${new Date(Date.now() + 60_000).toISOString()}`)).text, '');
  });

  it('rejects invalid options with a Status', async () => {
    const cases: [string, number, RegExp][] = [
      ['?tailLines=-1', 422, /tailLines: Invalid value: -1: must be greater than or equal to 0/],
      ['?limitBytes=0', 422, /limitBytes: Invalid value: 0: must be greater than 0/],
      ['?sinceSeconds=0', 422, /sinceSeconds: Invalid value: 0: must be greater than 0/],
      [`?sinceSeconds=5&sinceTime=${new Date().toISOString()}`, 422, /at most one of `sinceTime` or `sinceSeconds` may be specified/],
      ['?tailLines=x', 400, /unable to parse tailLines/],
      ['?sinceTime=yesterday', 400, /unable to parse sinceTime/],
      ['?step=nope', 400, /step nope is not valid for workflowrun three/],
      ['?previous=true', 400, /previous attempt of workflowrun "three" not found/],
      ['?attempt=2', 400, /attempt 2 of workflowrun "three" not found/],
    ];
    for (const [q, code, msg] of cases) {
      const r = await log('three', q);
      assert.equal(r.status, code, q);
      const status = r.json<{ kind: string; message: string }>();
      assert.equal(status.kind, 'Status', q);
      assert.match(status.message, msg, q);
    }
    assert.equal((await log('missing', '')).status, 404);
  });

  it('previous and attempt read earlier attempts of a retried run', async () => {
    await client.create(NS, { name: 'retried' }, {
      retry: { limit: 1 },
      steps: [{ name: 'main', run: 'echo "attempt $KUBEACTIONS_ATTEMPT"; test "$KUBEACTIONS_ATTEMPT" = 2' }],
    });
    await client.untilPhase(NS, 'retried', ['Succeeded']);
    assert.equal((await log('retried', '')).text, 'attempt 2\n');
    assert.equal((await log('retried', '?previous=true')).text, 'attempt 1\n[kube-actions] step main: exit code 1\n');
    assert.equal((await log('retried', '?attempt=1&tailLines=1')).text, '[kube-actions] step main: exit code 1\n');
  });

  it('is served over websocket too (binary.k8s.io, base64.binary.k8s.io), as pods/log', async () => {
    const read = (protocol: string | undefined): Promise<{ protocol: string; code: number; messages: [boolean, string][] }> =>
      new Promise((resolve, reject) => {
        const url = `${server.url.replace('https', 'wss')}/apis/kubeactions.dev/v1alpha1/namespaces/${NS}/workflowruns/three/log?step=two`;
        const ws = new WebSocket(url, protocol, { ca: server.ca, headers: { Authorization: `Bearer ${server.token}` } });
        const messages: [boolean, string][] = [];
        ws.on('message', (d: Buffer, binary: boolean) => messages.push([binary, d.toString()]));
        ws.on('close', (code) => resolve({ protocol: ws.protocol, code, messages }));
        ws.on('error', reject);
      });
    const plain = await read(undefined);
    assert.deepEqual([plain.protocol, plain.code, plain.messages[0]], ['', 1000, [true, '']], 'an empty first message');
    assert.ok(plain.messages.every(([bin]) => bin), 'binary messages');
    assert.equal(plain.messages.map(([, t]) => t).join(''), 'b1\nb2\nb3\n');
    const binary = await read('binary.k8s.io');
    assert.equal(binary.protocol, 'binary.k8s.io');
    assert.equal(binary.messages.map(([, t]) => t).join(''), 'b1\nb2\nb3\n');
    const b64 = await read('base64.binary.k8s.io');
    assert.equal(b64.protocol, 'base64.binary.k8s.io');
    assert.deepEqual(b64.messages.map(([bin]) => bin), b64.messages.map(() => false), 'text messages');
    assert.equal(Buffer.from(b64.messages.map(([, t]) => t).join(''), 'base64').toString(), 'b1\nb2\nb3\n');
  });

  it('follow streams a run from its start until it ends', async () => {
    await client.create(NS, { name: 'later' }, {
      steps: [
        { name: 'first', run: 'echo one; sleep 1; echo two' },
        { name: 'second', run: 'sleep 1; echo three' },
      ],
    });
    const started = Date.now();
    const r = await kubeRequest(server, `/apis/kubeactions.dev/v1alpha1/namespaces/${NS}/workflowruns/later/log?follow=true&timestamps=true`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.text.split('\n').filter(Boolean).map((l) => l.slice(l.lastIndexOf(' ') + 1)), ['one', 'two', 'three']);
    assert.ok(Date.now() - started >= 1500, 'the response lasted as long as the run');
  });
});
