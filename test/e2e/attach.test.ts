// attach to the running step of a WorkflowRun over websocket against the real `kube-actions dev`:
// its stdin (only when the step has `stdin: true`), its output as it is printed, and the end of
// the session with the step's exit status.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChannelClient, refusedUpgrade, remoteCommandPath } from '../helpers/channel-client.js';
import { killMatching, uniqueSleep } from '../helpers/procs.js';
import { RunClient } from '../helpers/runs.js';
import { type DevServer, startDevServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const NS = 'attach-e2e';
const V5 = ['v5.channel.k8s.io'];
const TICKS = 30;

describe('attach to the running step of a WorkflowRun', { timeout: 90_000 }, () => {
  let server: DevServer;
  let runs: RunClient;
  /** Its step reads lines: "got <line>" for each, exit 3 on "quit". */
  let reader: string;
  /** Its first step prints "tick i" (stdout) and "tock i" (stderr) every 0.2 s, then a second step holds. */
  let ticker: string;
  const hold = uniqueSleep();

  const attachPath = (run: string, stdin: boolean): string =>
    remoteCommandPath(NS, run, 'attach', { stdin, stdout: true, stderr: true, tty: false });

  /** Waits until the run's log contains `text` (the step is running and has printed it). */
  const logShows = (run: string, text: string): Promise<void> =>
    waitFor(async () => (await runs.log(NS, run)).body.includes(text), { timeoutMs: 20_000, intervalMs: 50, message: `log of ${run} to show ${text}` });

  before(async () => {
    server = await startDevServer();
    runs = new RunClient(server);
    const [r, t] = await Promise.all([
      runs.create(NS, { generateName: 'reader-' }, {
        steps: [{ name: 's', stdin: true, run: 'echo ready; while read l; do [ "$l" = quit ] && exit 3; echo "got $l"; done' }],
      }),
      runs.create(NS, { generateName: 'ticker-' }, {
        steps: [
          { name: 'tick', run: `i=0; while [ $i -lt ${TICKS} ]; do echo "tick $i"; echo "tock $i" >&2; i=$((i+1)); sleep 0.2; done` },
          { name: 'after', run: `sleep ${hold}` },
        ],
      }),
    ]);
    reader = r.metadata.name;
    ticker = t.metadata.name;
    await Promise.all([logShows(reader, 'ready'), logShows(ticker, 'tick 0')]);
  });

  after(async () => {
    killMatching(hold);
    runs?.close();
    await server?.stop();
  });

  it('stdin and stdout of a step with stdin: true; the session ends with its exit status', async () => {
    const s = await ChannelClient.open(server, attachPath(reader, true), V5);
    assert.equal(s.protocol, 'v5.channel.k8s.io');
    s.send(0, 'one\n');
    await s.waitOutput(1, 'got one\n');
    s.send(0, 'two\nthree\n');
    await s.waitOutput(1, 'got one\ngot two\ngot three\n');
    s.send(0, 'quit\n');
    const end = await s.finished();
    assert.deepEqual(s.frames[0], { channel: 1, data: Buffer.alloc(0), text: false }, 'the first frame is an empty stdout frame');
    assert.equal(s.output(1), 'got one\ngot two\ngot three\n');
    assert.equal(end.code, 1000);
    const status = JSON.parse(end.status) as Record<string, unknown>;
    assert.equal(status.status, 'Failure', end.status);
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.deepEqual(status.details, { causes: [{ reason: 'ExitCode', message: '3' }] });
    const run = await runs.untilPhase(NS, reader, ['Failed']);
    assert.equal(run.status?.steps?.[0]?.exitCode, 3);
  });

  it('attach with stdin to a step without stdin: true → 400 before the upgrade', async () => {
    const r = await refusedUpgrade(server, attachPath(ticker, true), V5);
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.deepEqual([r.body.kind, r.body.status, r.body.reason, r.body.code], ['Status', 'Failure', 'BadRequest', 400]);
    assert.equal(r.body.message, 'cannot attach to the stdin of step "tick": it does not read stdin (set stdin: true on the step)');
  });

  it('sees the output of a step that prints every 0.2 s, and ends with Success when the step ends', async () => {
    const s = await ChannelClient.open(server, attachPath(ticker, false), V5);
    await s.waitOutput(1, /(tick \d+\n.*){3}/s);
    const end = await s.finished(20_000);
    assert.deepEqual(end, { code: 1000, status: '{"metadata":{},"status":"Success"}' });
    assert.equal(s.frames.at(-1)?.channel, 3, 'the Status is the last frame');
    for (const [channel, word] of [[1, 'tick'], [2, 'tock']] as const) {
      const lines = s.output(channel).split('\n').filter(Boolean);
      assert.ok(lines.length >= 3, `several ${word} lines on channel ${channel}: ${JSON.stringify(lines)}`);
      const first = Number(/\d+$/.exec(lines[0] ?? '')?.[0]);
      assert.deepEqual(lines, lines.map((_, i) => `${word} ${first + i}`), `consecutive ${word} lines, none lost`);
      assert.equal(lines.at(-1), `${word} ${TICKS - 1}`, 'everything up to the step\'s end');
    }
    const run = await runs.until(NS, ticker, (r) => r?.status?.steps?.[0]?.phase === 'Succeeded', 'step tick to succeed');
    assert.equal(run?.status?.steps?.[1]?.phase, 'Running');
    assert.equal(run?.status?.phase, 'Running', 'the session ended with the step, the run goes on');
  });
});
