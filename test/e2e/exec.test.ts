// exec into a Running WorkflowRun over websocket against the real `kube-actions dev`: client-node's
// WebSocketHandler (v5), raw clients on v4 and base64, stdin with the v5 half-close, and a tty
// that honours resize messages in both client-go's and client-node's spelling.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeConfig } from '@kubernetes/client-node';
import { WebSocketHandler } from '@kubernetes/client-node/dist/web-socket-handler.js';
import { type ChannelFrame, ChannelClient, remoteCommandPath } from '../helpers/channel-client.js';
import { killMatching, uniqueSleep } from '../helpers/procs.js';
import { kubeConfigFor, RunClient } from '../helpers/runs.js';
import { type DevServer, startDevServer } from '../helpers/server.js';

const NS = 'exec-e2e';
const SUCCESS = '{"metadata":{},"status":"Success"}';

/** The Status a non-zero exit ends the session with, minus its free-text message. */
function assertExitStatus(text: string, exitCode: number): void {
  const status = JSON.parse(text) as Record<string, unknown>;
  assert.match(String(status.message), /^command terminated with non-zero exit code: /);
  assert.match(String(status.message), new RegExp(`exit code ${exitCode}\\b`));
  const { message: _message, ...rest } = status;
  assert.deepEqual(rest, {
    metadata: {}, status: 'Failure', reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  });
}

describe('exec into a WorkflowRun over websocket', { timeout: 90_000 }, () => {
  let server: DevServer;
  let runs: RunClient;
  let kc: KubeConfig;
  let name: string;
  const hold = uniqueSleep();

  const execPath = (command: string[], q: { stdin?: boolean; tty?: boolean } = {}): string =>
    remoteCommandPath(NS, name, 'exec', { command, stdin: q.stdin ?? false, stdout: true, stderr: true, tty: q.tty ?? false });

  /** One exec through client-node's WebSocketHandler: every binary frame, the protocol, the close code. */
  async function clientNodeExec(command: string[]): Promise<{ protocol: string; frames: ChannelFrame[]; code: number; text: (ch: number) => string }> {
    const frames: ChannelFrame[] = [];
    const handler = new WebSocketHandler(kc);
    const ws = await handler.connect(execPath(command), null, (channel, data) => {
      frames.push({ channel, data: Buffer.from(data), text: false });
      return true;
    });
    const code = await new Promise<number>((resolve) => ws.on('close', (c: number) => resolve(c)));
    const text = (ch: number): string => Buffer.concat(frames.filter((f) => f.channel === ch).map((f) => f.data)).toString('utf8');
    return { protocol: ws.protocol, frames, code, text };
  }

  before(async () => {
    server = await startDevServer();
    runs = new RunClient(server);
    kc = kubeConfigFor(server);
    const run = await runs.create(NS, { generateName: 'exec-' }, {
      params: { GREETING: 'hello world' },
      steps: [
        { name: 'prep', run: 'echo written-by-step > made.txt' },
        { name: 'hold', run: `sleep ${hold}` },
      ],
    });
    name = run.metadata.name;
    await runs.until(NS, name, (r) => r?.status?.steps?.[1]?.phase === 'Running', 'step hold to be Running');
  });

  after(async () => {
    killMatching(hold);
    runs?.close();
    await server?.stop();
  });

  it('client-node (v5): the empty first frame, stdout on 1, stderr on 2, Success on 3', async () => {
    const res = await clientNodeExec(['sh', '-c', 'echo out-line; echo err-line >&2']);
    assert.equal(res.protocol, 'v5.channel.k8s.io');
    assert.deepEqual(res.frames[0], { channel: 1, data: Buffer.alloc(0), text: false }, 'the first frame is an empty stdout frame');
    assert.equal(res.text(1), 'out-line\n');
    assert.equal(res.text(2), 'err-line\n');
    assert.equal(res.text(3), SUCCESS);
    assert.equal(res.frames.at(-1)?.channel, 3, 'the Status is the last frame');
    assert.equal(res.frames.filter((f) => f.channel === 3).length, 1, 'exactly one Status frame');
    assert.equal(res.code, 1000);
  });

  it('client-node (v5): a non-zero exit ends with a NonZeroExitCode Status', async () => {
    const res = await clientNodeExec(['sh', '-c', 'echo before; exit 42']);
    assert.equal(res.text(1), 'before\n');
    assertExitStatus(res.text(3), 42);
    assert.equal(res.code, 1000);
  });

  it('client-node (v5): the command runs in the workspace with the run environment', async () => {
    const res = await clientNodeExec(['sh', '-c', 'cat made.txt; echo "$PARAM_GREETING|$KUBEACTIONS_RUN|$KUBEACTIONS_NAMESPACE"; pwd; echo "$KUBEACTIONS_WORKSPACE"']);
    assert.equal(res.text(3), SUCCESS, res.text(2));
    const [file, env, pwd, workspace, ...rest] = res.text(1).split('\n');
    assert.equal(file, 'written-by-step', 'the exec sees the file the first step wrote');
    assert.equal(env, `hello world|${name}|${NS}`);
    assert.ok(workspace, 'KUBEACTIONS_WORKSPACE is set');
    assert.equal(pwd, workspace, 'the working directory is the workspace');
    assert.deepEqual(rest, ['']);
  });

  it('raw v4.channel.k8s.io: same channels, JSON Status on 3, never channel 255', async () => {
    const ok = await ChannelClient.open(server, execPath(['sh', '-c', 'echo v4-out; echo v4-err >&2']), ['v4.channel.k8s.io']);
    assert.equal(ok.protocol, 'v4.channel.k8s.io');
    const end = await ok.finished();
    assert.deepEqual(ok.frames[0], { channel: 1, data: Buffer.alloc(0), text: false });
    assert.equal(ok.output(1), 'v4-out\n');
    assert.equal(ok.output(2), 'v4-err\n');
    assert.deepEqual(end, { code: 1000, status: SUCCESS });

    const failed = await ChannelClient.open(server, execPath(['sh', '-c', 'exit 3']), ['v4.channel.k8s.io']);
    const fend = await failed.finished();
    assertExitStatus(fend.status, 3);
    assert.equal(fend.code, 1000);
    for (const c of [ok, failed]) {
      assert.ok(c.frames.every((f) => !f.text && f.channel !== 255), `binary frames only, none on 255: ${c.describe()}`);
    }
  });

  it('stdin: cat echoes channel 0, and the v5 half-close [255,0] ends it with exit 0', async () => {
    const s = await ChannelClient.open(server, execPath(['cat'], { stdin: true }), ['v5.channel.k8s.io', 'v4.channel.k8s.io']);
    assert.equal(s.protocol, 'v5.channel.k8s.io');
    s.send(0, 'first line\n');
    await s.waitOutput(1, 'first line\n');
    s.send(0, 'second ');
    s.send(0, 'line\n');
    await s.waitOutput(1, 'first line\nsecond line\n');
    s.sendRaw(Buffer.from([255, 0]));
    assert.deepEqual(await s.finished(), { code: 1000, status: SUCCESS });
    assert.equal(s.output(1), 'first line\nsecond line\n');
    assert.equal(s.output(2), '');
  });

  it('base64.channel.k8s.io: text frames with a \'0\'+channel prefix and base64 payloads', async () => {
    const s = await ChannelClient.open(server, execPath(['sh', '-c', 'head -n 1; echo to-stderr >&2; exit 7'], { stdin: true }), ['base64.channel.k8s.io']);
    assert.equal(s.protocol, 'base64.channel.k8s.io');
    s.send(0, 'über line\n', true);
    const end = await s.finished();
    assert.ok(s.frames.every((f) => f.text), `text frames only: ${s.describe()}`);
    assert.deepEqual(s.frames[0], { channel: 1, data: Buffer.alloc(0), text: true });
    assert.equal(s.output(1), 'über line\n');
    assert.equal(s.output(2), 'to-stderr\n');
    assert.equal(end.code, 1000);
    assert.match(end.status, /^command terminated with non-zero exit code: .*exit code 7/, 'legacy protocols carry the error text');
  });

  for (const [spelling, resize, expected] of [
    ['client-go', '{"Width":100,"Height":30}\n', '30 100'],
    ['client-node', '{"height":40,"width":120}', '40 120'],
  ] as const) {
    it(`tty: stty size reports the ${spelling} resize, and all output is on channel 1`, async () => {
      const s = await ChannelClient.open(server, execPath(['sh', '-c', 'read go; stty size; echo tty-err >&2'], { stdin: true, tty: true }), ['v5.channel.k8s.io']);
      s.send(4, resize);
      s.send(0, 'go\r');
      const end = await s.finished();
      assert.deepEqual(end, { code: 1000, status: SUCCESS }, s.describe());
      assert.deepEqual(s.frames[0], { channel: 1, data: Buffer.alloc(0), text: false });
      const out = s.output(1);
      assert.match(out, new RegExp(`(^|\\n)${expected}\\r?\\n`), `stty size after the resize: ${JSON.stringify(out)}`);
      assert.match(out, /tty-err/, 'stderr of a tty goes to channel 1');
      assert.equal(s.frames.filter((f) => f.channel === 2).length, 0, 'nothing on channel 2 with a tty');
    });
  }

  it('the run keeps running through the sessions', async () => {
    const run = await runs.get(NS, name);
    assert.equal(run?.status?.phase, 'Running');
    assert.equal(run?.status?.steps?.[1]?.phase, 'Running');
  });
});
