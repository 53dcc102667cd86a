// exec edge cases against the real `kube-actions dev`: requests refused before the upgrade (a
// Status, never a 101), frames the server must ignore, an oversized frame, and a client that
// vanishes mid-session (its command is killed, the run goes on).
import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import { ChannelClient, type Refusal, refusedUpgrade, remoteCommandPath } from '../helpers/channel-client.js';
import { kubeRequest } from '../helpers/kube-http.js';
import { killMatching, processesMatching, uniqueSleep } from '../helpers/procs.js';
import { RunClient } from '../helpers/runs.js';
import { type DevServer, startDevServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const NS = 'exec-edge';
const V5 = ['v5.channel.k8s.io'];
const SUCCESS = '{"metadata":{},"status":"Success"}';

/** A refusal is a JSON metav1.Status whose code is the HTTP status; returns its message. */
function assertStatus(r: Refusal, code: number, reason: string): string {
  assert.equal(r.status, code, JSON.stringify(r.body));
  assert.match(r.contentType ?? '', /^application\/json/);
  assert.equal(r.body.kind, 'Status');
  assert.equal(r.body.apiVersion, 'v1');
  assert.equal(r.body.status, 'Failure');
  assert.equal(r.body.reason, reason);
  assert.equal(r.body.code, code);
  return String(r.body.message);
}

/** A raw HTTPS request (for the SPDY upgrade, which `ws` cannot send); resolves with any answer. */
function rawRequest(server: DevServer, method: string, path: string, headers: Record<string, string>): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, server.url), { method, headers: { Authorization: `Bearer ${server.token}`, ...headers }, ca: server.ca, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      reject(new Error(`the server switched protocols (${res.statusCode} ${res.headers.upgrade}) but should have refused`));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('exec edge cases', { timeout: 90_000 }, () => {
  let server: DevServer;
  let runs: RunClient;
  let name: string;
  let finished: string;
  const hold = uniqueSleep();
  const markers: string[] = [hold];

  const execPath = (command: string[], q: { stdin?: boolean; stdout?: boolean; stderr?: boolean; tty?: boolean } = {}, run = name): string =>
    remoteCommandPath(NS, run, 'exec', { command, stdin: false, stdout: true, stderr: true, tty: false, ...q });

  /** Execs `sleep <marker>` and waits until the process runs. */
  async function execSleep(q: { stdin?: boolean; tty?: boolean } = {}): Promise<{ session: ChannelClient; marker: string }> {
    const marker = uniqueSleep();
    markers.push(marker);
    const session = await ChannelClient.open(server, execPath(['sleep', marker], q), V5);
    await waitFor(() => processesMatching(marker).length > 0, { timeoutMs: 10_000, message: `exec'd sleep ${marker} to run` });
    return { session, marker };
  }

  async function assertStillServing(): Promise<void> {
    const s = await ChannelClient.open(server, execPath(['echo', 'still serving']), V5);
    assert.deepEqual(await s.finished(), { code: 1000, status: SUCCESS });
    assert.equal(s.output(1), 'still serving\n');
  }

  before(async () => {
    server = await startDevServer();
    runs = new RunClient(server);
    const [held, done] = await Promise.all([
      runs.create(NS, { generateName: 'hold-' }, { steps: [{ name: 'hold', run: `sleep ${hold}` }] }),
      runs.create(NS, { generateName: 'done-' }, { steps: [{ name: 'quick', run: 'true' }] }),
    ]);
    name = held.metadata.name;
    finished = done.metadata.name;
    await Promise.all([
      runs.until(NS, name, (r) => r?.status?.steps?.[0]?.phase === 'Running', 'step hold to be Running'),
      runs.untilPhase(NS, finished, ['Succeeded']),
    ]);
  });

  after(async () => {
    for (const m of markers) killMatching(m);
    runs?.close();
    await server?.stop();
  });

  describe('refused before the upgrade, with a Status', () => {
    it('only unknown subprotocols → 400', async () => {
      const msg = assertStatus(await refusedUpgrade(server, execPath(['true']), ['v9.channel.example.com', 'spdy']), 400, 'BadRequest');
      assert.match(msg, /subprotocol/);
    });

    it('no command → 400', async () => {
      const msg = assertStatus(await refusedUpgrade(server, execPath([]), V5), 400, 'BadRequest');
      assert.match(msg, /at least 1 command/);
    });

    it('none of stdin, stdout, stderr → 400', async () => {
      const path = execPath(['true'], { stdin: false, stdout: false, stderr: false });
      const msg = assertStatus(await refusedUpgrade(server, path, V5), 400, 'BadRequest');
      assert.match(msg, /at least 1 of stdin, stdout, stderr/);
    });

    it('a finished run → 400 naming its phase', async () => {
      const msg = assertStatus(await refusedUpgrade(server, execPath(['true'], {}, finished), V5), 400, 'BadRequest');
      assert.match(msg, new RegExp(`"${finished}"`));
      assert.match(msg, /Succeeded/);
      assert.match(msg, /not Running/);
    });

    it('a missing run → 404', async () => {
      const r = await refusedUpgrade(server, execPath(['true'], {}, 'no-such-run'), V5);
      const msg = assertStatus(r, 404, 'NotFound');
      assert.match(msg, /"no-such-run" not found/);
      assert.deepEqual(r.body.details, { name: 'no-such-run', group: 'kubeactions.dev', kind: 'workflowruns' });
    });

    it('no credentials → 401', async () => {
      assertStatus(await refusedUpgrade(server, execPath(['true']), V5, null), 401, 'Unauthorized');
    });

    it('a SPDY upgrade (POST, Upgrade: SPDY/3.1) → 400', async () => {
      const res = await rawRequest(server, 'POST', execPath(['true']), {
        Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io',
      });
      assert.equal(res.status, 400, res.body);
      assert.match(res.type, /^application\/json/);
      const body = JSON.parse(res.body) as Record<string, unknown>;
      assert.deepEqual([body.kind, body.status, body.reason, body.code], ['Status', 'Failure', 'BadRequest', 400]);
      assert.match(String(body.message), /websocket/i);
    });

    it('a plain GET without an upgrade → 400', async () => {
      const res = await kubeRequest(server, execPath(['true']));
      assert.equal(res.status, 400, res.text);
      const body = res.json();
      assert.deepEqual([body.kind, body.status, body.reason, body.code], ['Status', 'Failure', 'BadRequest', 400]);
      assert.match(String(body.message), /[Uu]pgrade request required/);
    });
  });

  describe('frames the server ignores', () => {
    it('an unknown channel, an empty frame, a client-sent Status and a garbage resize leave the session working', async () => {
      const s = await ChannelClient.open(server, execPath(['cat'], { stdin: true }), V5);
      s.send(9, 'unknown channel');
      s.sendRaw(Buffer.alloc(0));
      s.send(3, 'not yours');
      s.send(4, 'garbage{"Width":');
      s.send(4, '}{]');
      s.send(0, 'still alive\n');
      await s.waitOutput(1, 'still alive\n');
      s.sendRaw(Buffer.from([255, 0]));
      assert.deepEqual(await s.finished(), { code: 1000, status: SUCCESS });
      assert.equal(s.output(1), 'still alive\n', 'only channel 0 reached the command');
    });

    it('invalid sizes do not resize a tty', async () => {
      const s = await ChannelClient.open(server, execPath(['sh', '-c', 'read go; stty size'], { stdin: true, tty: true }), V5);
      s.send(4, 'garbage');
      s.send(4, '{"Width":-5,"Height":"tall"}');
      s.send(4, '{"Width":0,"Height":0}');
      s.sendRaw(Buffer.alloc(0));
      s.send(0, 'go\r');
      assert.deepEqual(await s.finished(), { code: 1000, status: SUCCESS }, s.describe());
      assert.match(s.output(1), /(^|\n)24 80\r?\n/, 'the default 80x24 terminal is unchanged');
    });
  });

  it('a frame over 1 MiB closes the connection with 1009, kills the command, and the server goes on', async () => {
    const { session, marker } = await execSleep({ stdin: true });
    session.send(0, Buffer.alloc(1024 * 1024 + 16, 0x61));
    const { code } = await session.finished(10_000);
    assert.equal(code, 1009, `close code (${session.describe()})`);
    await waitFor(() => processesMatching(marker).length === 0, { timeoutMs: 5000, message: `sleep ${marker} to be killed` });
    await assertStillServing();
  });

  for (const tty of [false, true]) {
    it(`a client that vanishes mid-session (tty=${tty}): its command is killed, the run keeps running`, async () => {
      const { session, marker } = await execSleep({ tty });
      session.ws.terminate();
      await waitFor(() => processesMatching(marker).length === 0, { timeoutMs: 5000, message: `sleep ${marker} to be killed` });
      const run = await runs.get(NS, name);
      assert.equal(run?.status?.phase, 'Running');
      assert.equal(run?.status?.steps?.[0]?.phase, 'Running');
      assert.ok(processesMatching(hold).length > 0, 'the run\'s own step still runs');
      await assertStillServing();
    });
  }
});
