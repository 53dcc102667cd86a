// Load protection, each limit exceeded for real: requests in flight (mutating and not, with
// system:masters exempt and watches not counted), open watches, exec sessions, websocket message
// size, and clients that send their headers or body too slowly — while streams idle for longer
// than those timeouts stay open.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { ChannelClient, remoteCommandPath } from '../helpers/channel-client.js';
import { type ApiServerProcess, startApiServerProcess } from '../helpers/components.js';
import { type Endpoint, kubeRequest, type KubeResponse, openWatch, type WatchStream } from '../helpers/kube-http.js';
import { killMatching, uniqueSleep } from '../helpers/procs.js';
import { parseExposition, valueOf } from '../helpers/prom-text.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { RunClient, runsPath } from '../helpers/runs.js';
import { type DevServer, startDevServer } from '../helpers/server.js';
import { openWatchlessStream, type OpenStream } from '../helpers/stream.js';
import { waitFor } from '../helpers/wait.js';

const NS = 'load';
const V5 = ['v5.channel.k8s.io'];

function runBody(): string {
  return JSON.stringify({ apiVersion: 'kubeactions.dev/v1alpha1', kind: 'WorkflowRun', metadata: { generateName: 'lp-' }, spec: { steps: [{ name: 's', run: 'true' }] } });
}

/** The Status every limit answers with, but for its message. */
function assertTooManyRequests(res: { status: number; headers: IncomingHttpHeaders; text: string }, message: string): void {
  assert.equal(res.status, 429, res.text);
  assert.equal(res.headers['retry-after'], '1');
  assert.match(res.headers['content-type'] ?? '', /^application\/json\b/);
  assert.deepEqual(JSON.parse(res.text), {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'TooManyRequests', details: { retryAfterSeconds: 1 }, code: 429,
  });
}

/** A request whose headers and first half of its body are sent; the rest waits for `finish`. */
function heldRequest(ep: Endpoint, method: string, p: string, token: string, body: string): { finish(): void; abort(): void; response: Promise<number> } {
  const req = https.request(new URL(p, ep.url), {
    method, ca: ep.ca, agent: false,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) },
  });
  const response = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
  const half = Math.floor(body.length / 2);
  req.write(body.slice(0, half));
  response.catch(() => undefined);
  return { finish: () => req.end(body.slice(half)), abort: () => req.destroy(), response };
}

async function metrics(ep: Endpoint): Promise<ReturnType<typeof parseExposition>> {
  const res = await kubeRequest(ep, '/metrics');
  assert.equal(res.status, 200, res.text);
  return parseExposition(res.text);
}

describe('requests in flight', { timeout: 90_000 }, () => {
  let redis: TestRedis;
  let dir: string;
  let api: ApiServerProcess;
  let admin: Endpoint;
  let alice: Endpoint;

  before(async () => {
    redis = await startTestRedis();
    dir = await mkdtemp(path.join(os.tmpdir(), 'kube-actions-load-'));
    const tokens = path.join(dir, 'tokens.csv');
    await writeFile(tokens, 'faults-admin-token,admin,admin-uid,"system:masters"\nalice-token,alice,alice-uid,"load-testers"\n');
    const policy = path.join(dir, 'policy.yaml');
    await writeFile(policy, 'rules:\n- groups: [load-testers]\n  verbs: ["*"]\n  resources: ["*"]\n- groups: [load-testers]\n  verbs: ["*"]\n  nonResourceURLs: ["*"]\n');
    api = await startApiServerProcess({
      redisUrl: redis.url, dir: path.join(dir, 'api'),
      args: ['--token-auth-file', tokens, '--authorization-policy-file', policy, '--max-requests-inflight', '1', '--max-mutating-requests-inflight', '1'],
    });
    admin = api.target;
    alice = { ...api.target, token: 'alice-token' };
  });
  after(async () => {
    await api?.stop();
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a create whose body is still arriving holds the one mutating slot: the next gets 429, reads and system:masters are served', async (t) => {
    const held = heldRequest(alice, 'POST', runsPath(NS), alice.token, runBody());
    t.after(() => held.abort());
    await waitFor(async () => valueOf(await metrics(admin), 'apiserver_current_inflight_requests', { request_kind: 'mutating' }) === 1, {
      timeoutMs: 10_000, message: 'the held create to be in flight',
    });
    const refused = await kubeRequest(alice, runsPath(NS), { method: 'POST', body: runBody() });
    assertTooManyRequests(refused, 'Too many requests, please try again later.');
    assert.equal((await kubeRequest(alice, runsPath(NS))).status, 200, 'non-mutating requests have their own limit');
    assert.equal((await kubeRequest(admin, runsPath(NS), { method: 'POST', body: runBody() })).status, 201, 'system:masters is exempt');

    held.finish();
    assert.equal(await held.response, 201);
    assert.equal((await kubeRequest(alice, runsPath(NS), { method: 'POST', body: runBody() })).status, 201, 'the slot is free again');
    const m = await metrics(admin);
    assert.equal(valueOf(m, 'apiserver_dropped_requests_total', { request_kind: 'mutating' }), 1);
    assert.equal(valueOf(m, 'apiserver_request_total', {
      verb: 'POST', group: 'kubeactions.dev', version: 'v1alpha1', resource: 'workflowruns', subresource: '', scope: 'resource', component: 'apiserver', code: '429',
    }), 1);
  });

  it('a list held up by a stopped Redis takes the one non-mutating slot: other reads get 429; system:masters, probes and streams are served', async () => {
    const signal = (s: NodeJS.Signals): void => redis.pids.forEach((pid) => process.kill(pid, s));
    signal('SIGSTOP');
    try {
      const lists = [kubeRequest(alice, runsPath(NS)), kubeRequest(alice, runsPath(NS))];
      const first = await Promise.race(lists);
      assertTooManyRequests(first, 'Too many requests, please try again later.');
      assertTooManyRequests(await kubeRequest(alice, '/version'), 'Too many requests, please try again later.');
      assert.equal((await kubeRequest(admin, '/version')).status, 200, 'system:masters is exempt');
      assert.equal((await kubeRequest(alice, '/livez', { token: null })).status, 200, 'health probes are exempt');
      // Long-running requests pass the limit and reach their handlers, which refuse these options
      // before they would need Redis: 400, where a limited request would get 429.
      const watch = await kubeRequest(alice, `${runsPath(NS)}?watch=true&timeoutSeconds=soon`);
      assert.equal(watch.status, 400, `a watch is not limited by --max-requests-inflight: ${watch.text}`);
      const log = await kubeRequest(alice, `${runsPath(NS)}/nope/log?follow=true&tailLines=many`);
      assert.equal(log.status, 400, `nor is a log stream: ${log.text}`);
      signal('SIGCONT');
      const codes = (await Promise.all(lists)).map((r) => r.status).sort();
      assert.deepEqual(codes, [200, 429]);
    } finally {
      signal('SIGCONT');
    }
    assert.equal((await kubeRequest(alice, '/version')).status, 200);
    assert.ok(valueOf(await metrics(admin), 'apiserver_dropped_requests_total', { request_kind: 'readOnly' }) >= 2);
  });
});

/** A refused websocket upgrade: its status, headers and body. */
function refusedUpgrade(ep: Endpoint, p: string): Promise<KubeResponse> {
  const ws = new WebSocket(ep.url.replace(/^https/, 'wss') + p, V5, { ca: ep.ca, headers: { Authorization: `Bearer ${ep.token}` } });
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.terminate();
      reject(new Error(`${p} was upgraded`));
    });
    ws.once('error', reject);
    ws.once('unexpected-response', (req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        req.destroy();
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, text, json: <T>() => JSON.parse(text) as T, headerValues: () => [] });
      });
    });
  });
}

/**
 * A raw TLS client that writes `head` at once, then `trickle` one byte every 100 ms, until the
 * server closes the connection; resolves with what the server sent and how long it took.
 */
function slowClient(ep: Endpoint, head: string, trickle: string): Promise<{ received: string; elapsedMs: number }> {
  const url = new URL(ep.url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: url.hostname, port: Number(url.port), ca: ep.ca, servername: 'localhost' });
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    let started = 0;
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (received += d));
    socket.on('error', reject);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ received, elapsedMs: Date.now() - started });
    });
    socket.once('secureConnect', () => {
      started = Date.now();
      socket.write(head);
      let i = 0;
      timer = setInterval(() => {
        if (i < trickle.length) socket.write(trickle[i++] ?? '');
      }, 100);
    });
  });
}

/**
 * Sends a websocket upgrade on a raw TLS connection and resolves with the refusal's status line
 * once it has arrived, leaving the connection half-open: the client never closes its side.
 */
function lingeringRefusal(ep: Endpoint, p: string): Promise<{ statusLine: string; socket: tls.TLSSocket }> {
  const url = new URL(ep.url);
  return new Promise((resolve, reject) => {
    const raw = net.connect({ host: url.hostname, port: Number(url.port), allowHalfOpen: true });
    const socket = tls.connect({ socket: raw, ca: ep.ca, servername: 'localhost' });
    let received = '';
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('data', (d: string) => {
      received += d;
      const head = received.indexOf('\r\n\r\n');
      const length = /\r\nContent-Length: (\d+)\r\n/i.exec(received);
      if (head >= 0 && length && received.length >= head + 4 + Number(length[1])) resolve({ statusLine: received.slice(0, received.indexOf('\r\n')), socket });
    });
    socket.once('secureConnect', () => {
      socket.write(`GET ${p} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${ep.token}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n`
        + `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${Buffer.alloc(16, 7).toString('base64')}\r\nSec-WebSocket-Protocol: ${V5[0] ?? ''}\r\n\r\n`);
    });
  });
}

describe('long-running limits and slow clients', { timeout: 120_000 }, () => {
  let server: DevServer;
  let runs: RunClient;
  let name: string;
  const hold = uniqueSleep();
  const execPath = (): string => remoteCommandPath(NS, name, 'exec', { command: ['cat'], stdin: true, stdout: true, stderr: true, tty: false });

  /** Opens a watch once a watch slot is free (a closed watch frees its slot when the server sees it close). */
  async function openWatchWhenFree(): Promise<WatchStream> {
    let opened: WatchStream | undefined;
    await waitFor(async () => {
      const w = await openWatch(server, `${runsPath(NS)}?watch=true`);
      if (w.status === 200) opened = w;
      return opened !== undefined;
    }, { timeoutMs: 10_000, intervalMs: 50, message: 'a free watch slot' });
    return opened as WatchStream;
  }

  async function openExecWhenFree(): Promise<ChannelClient> {
    let opened: ChannelClient | undefined;
    await waitFor(async () => (opened = await ChannelClient.open(server, execPath(), V5)) !== undefined, {
      timeoutMs: 10_000, intervalMs: 50, message: 'a free exec session slot',
    });
    return opened as ChannelClient;
  }

  before(async () => {
    server = await startDevServer({
      args: ['--max-watches', '2', '--max-exec-sessions', '1', '--max-websocket-message-bytes', '1024', '--header-read-timeout', '1s', '--body-read-timeout', '2s'],
    });
    runs = new RunClient(server);
    const run = await runs.create(NS, { generateName: 'hold-' }, { steps: [{ name: 'hold', run: `echo started; sleep ${hold}` }] });
    name = run.metadata.name;
    await runs.until(NS, name, (r) => r?.status?.steps?.[0]?.phase === 'Running', 'step hold to be Running');
  });
  after(async () => {
    killMatching(hold);
    runs?.close();
    await server?.stop();
  });

  it('the watch over --max-watches gets 429; a closed watch frees its slot', async () => {
    const watches = [await openWatchWhenFree(), await openWatchWhenFree()];
    try {
      assertTooManyRequests(await kubeRequest(server, `${runsPath(NS)}?watch=true`), 'Too many watch requests on this server, please try again later.');
      watches.shift()?.close();
      watches.push(await openWatchWhenFree());
      assertTooManyRequests(await kubeRequest(server, `${runsPath(NS)}?watch=true`), 'Too many watch requests on this server, please try again later.');
      assert.equal((await kubeRequest(server, runsPath(NS))).status, 200, 'other requests are served');
    } finally {
      for (const w of watches) w.close();
    }
  });

  it('the exec session over --max-exec-sessions is refused with 429 before the 101', async () => {
    const first = await openExecWhenFree();
    try {
      const refused = await refusedUpgrade(server, execPath());
      assertTooManyRequests(refused, 'Too many exec and attach sessions on this server, please try again later.');
      first.send(0, 'one\n');
      await first.waitOutput(1, 'one\n');
    } finally {
      first.ws.close();
    }
    const next = await openExecWhenFree();
    next.sendRaw(Buffer.from([255, 0]));
    assert.equal((await next.finished()).code, 1000);
  });

  it('an exec refused after it took a slot gives the slot back, even if its client never closes', async () => {
    const refused = await lingeringRefusal(server, remoteCommandPath(NS, 'no-such-run', 'exec', { command: ['cat'], stdin: true, stdout: true }));
    try {
      assert.equal(refused.statusLine, 'HTTP/1.1 404 Not Found');
      const session = await ChannelClient.open(server, execPath(), V5);
      session.sendRaw(Buffer.from([255, 0]));
      assert.equal((await session.finished()).code, 1000);
    } finally {
      refused.socket.destroy();
    }
  });

  it('a websocket message over --max-websocket-message-bytes closes the session with 1009; the server serves on', async () => {
    const session = await openExecWhenFree();
    session.send(0, 'a'.repeat(1000));
    await session.waitOutput(1, 'a'.repeat(1000));
    session.send(0, Buffer.alloc(1024, 0x62));
    assert.equal((await session.finished()).code, 1009);
    const next = await openExecWhenFree();
    next.send(0, 'after\n');
    await next.waitOutput(1, 'after\n');
    next.sendRaw(Buffer.from([255, 0]));
    assert.equal((await next.finished()).code, 1000);
    assert.equal((await kubeRequest(server, runsPath(NS))).status, 200);
  });

  describe('slow clients', () => {
    let watch: WatchStream;
    let log: OpenStream;
    let exec: ChannelClient;

    before(async () => {
      watch = await openWatchWhenFree();
      log = await openWatchlessStream(server, `${runsPath(NS)}/${name}/log?follow=true`);
      assert.equal(log.status, 200);
      await waitFor(() => log.text().includes('started'), { timeoutMs: 10_000, message: 'the log to be streamed' });
      exec = await openExecWhenFree();
    });
    after(() => {
      watch?.close();
      log?.close();
      exec?.ws.close();
    });

    it('headers slower than --header-read-timeout: 408 and the connection closed', async () => {
      const { received, elapsedMs } = await slowClient(server, 'GET /version HTTP/1.1\r\nHost: localhost\r\nX-Slow: ', 'a'.repeat(100));
      assert.match(received, /^HTTP\/1\.1 408 Request Timeout\r\n/);
      assert.ok(elapsedMs >= 950 && elapsedMs < 5000, `cut after ${elapsedMs} ms, about 1 s`);
    });

    it('a body slower than --body-read-timeout: 408 with a Status and the connection closed', async () => {
      const body = runBody();
      const head = `POST ${runsPath(NS)} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${server.token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
      const { received, elapsedMs } = await slowClient(server, head + body.slice(0, 10), body.slice(10));
      assert.match(received, /^HTTP\/1\.1 408 Request Timeout\r\n/);
      assert.match(received, /\r\nConnection: close\r\n/);
      assert.deepEqual(JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4)), {
        kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
        message: 'Timeout: the request was not received within the allotted timeout', reason: 'Timeout', details: {}, code: 408,
      });
      assert.ok(elapsedMs >= 1950 && elapsedMs < 6000, `cut after ${elapsedMs} ms, about 2 s`);
      const labels = { verb: 'POST', group: 'kubeactions.dev', version: 'v1alpha1', resource: 'workflowruns', subresource: '', scope: 'resource', component: 'apiserver', code: '408' };
      await waitFor(async () => valueOf(await metrics(server), 'apiserver_request_total', labels) === 1, { timeoutMs: 5000, message: 'the 408 to be counted' });
    });

    it('a watch, a log stream and an exec session idle longer than both timeouts stay open', async () => {
      assert.equal(watch.ended(), false, 'the watch is open');
      assert.equal(log.ended(), false, 'the log stream is open');
      assert.equal(exec.closedWith, undefined, 'the exec session is open');
      const created = await runs.create(NS, { generateName: 'seen-' }, { steps: [{ name: 's', run: 'true' }] });
      await watch.next((e) => e.type === 'ADDED' && e.object.metadata?.name === created.metadata.name, 'the new run on the idle watch');
      exec.send(0, 'still here\n');
      await exec.waitOutput(1, 'still here\n');
      assert.equal(log.ended(), false, 'the log stream is still open');
    });
  });
});
