// What the worker does with a run, against the real `kube-actions dev` (apiserver + worker):
// step environment, workingDir, timeouts, continueOnError, retries, TTL, and deletion.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Watch } from '@kubernetes/client-node';
import { killMatching, processesMatching, uniqueSleep } from '../helpers/procs.js';
import { type Run, RunClient, kubeConfigFor, runsPath, succeededReason } from '../helpers/runs.js';
import { type TestRedis, startTestRedis } from '../helpers/redis.js';
import { type DevServer, startDevServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const NS = 'worker-it';
const FINISHED = ['Succeeded', 'Failed', 'Cancelled'];

describe('the worker, through kube-actions dev', { timeout: 100_000 }, () => {
  let redis: TestRedis;
  let server: DevServer;
  let client: RunClient;
  /** A fixed directory outside every workspace, for what steps leave behind across attempts. */
  let outside: string;
  const markers: string[] = [];

  before(async () => {
    redis = await startTestRedis();
    // In the worker's environment, so that a step seeing it would be a leak.
    process.env.KUBE_ACTIONS_IT_SECRET = 'from-the-test';
    server = await startDevServer({ redisUrl: redis.url });
    delete process.env.KUBE_ACTIONS_IT_SECRET;
    client = new RunClient(server);
    outside = await mkdtemp(join(tmpdir(), 'kube-actions-worker-it-'));
    // Steps run under uids of their own (one per attempt): like /tmp, anyone may create files here.
    await chmod(outside, 0o1777);
  });
  after(async () => {
    for (const m of markers) killMatching(m);
    client?.close();
    const alive = server?.proc.exitCode === null && server.proc.signalCode === null;
    const out = server?.output() ?? '';
    await server?.stop();
    await redis?.stop();
    await rm(outside, { recursive: true, force: true });
    assert.ok(alive, `kube-actions dev exited during the tests:\n${out}`);
  });

  const sleeper = (): string => {
    const s = uniqueSleep();
    markers.push(s);
    return s;
  };

  it('steps get PARAM_<NAME>, $(params.X) substitution, their env, workingDir, and nothing of the worker\'s environment', async () => {
    const spec = {
      params: { GIT_REF: 'main', WHO: 'world' },
      steps: [
        {
          name: 'first',
          workingDir: 'app/sub',
          env: [{ name: 'CI', value: 'true' }, { name: 'REF_COPY', value: 'ref-$(params.GIT_REF)' }],
          run: 'echo "param=$PARAM_GIT_REF who=$(params.WHO) ci=$CI copy=$REF_COPY leak=${KUBE_ACTIONS_IT_SECRET:-unset}"\n'
            + 'test "$PWD" = "$KUBEACTIONS_WORKSPACE/app/sub" && echo "in workingDir"\necho made > file.txt',
        },
        { name: 'second', run: 'echo "second sees $(cat app/sub/file.txt) ci=${CI:-unset} attempt=$KUBEACTIONS_ATTEMPT"' },
      ],
    };
    const run = await client.create(NS, { name: 'env' }, spec);
    const done = await client.untilPhase(NS, run.metadata.name, FINISHED);
    assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status));
    const log = await client.log(NS, 'env');
    assert.equal(log.status, 200);
    assert.equal(log.body,
      'param=main who=world ci=true copy=ref-main leak=unset\nin workingDir\nsecond sees made ci=unset attempt=1\n');
  });

  it('a step timeout fails the run and leaves no process behind', async () => {
    const s = sleeper();
    await client.create(NS, { name: 'step-timeout' }, {
      steps: [{ name: 'slow', timeoutSeconds: 1, run: `sleep ${s} & echo started; sleep ${s}` }, { name: 'never', run: 'echo never' }],
    });
    await waitFor(() => processesMatching(s).length >= 2, { timeoutMs: 10_000, message: `the step's sleep ${s} processes` });
    const done = await client.untilPhase(NS, 'step-timeout', FINISHED);
    assert.equal(done.status?.phase, 'Failed');
    assert.deepEqual(done.status?.steps?.map((st) => st.phase), ['Failed', 'Skipped']);
    assert.match(done.status?.steps?.[0]?.message ?? '', /timed out after 1s/);
    assert.deepEqual(processesMatching(s), [], 'no sleep process is left once the run failed');
  });

  it('a whole-run spec.timeoutSeconds fails the run with reason Timeout and stops its process', async () => {
    const s = sleeper();
    await client.create(NS, { name: 'run-timeout' }, {
      timeoutSeconds: 1,
      steps: [{ name: 'quick', run: 'true' }, { name: 'slow', run: `sleep ${s}` }, { name: 'never', run: 'true' }],
    });
    const done = await client.untilPhase(NS, 'run-timeout', FINISHED);
    assert.equal(done.status?.phase, 'Failed');
    assert.equal(succeededReason(done), 'Timeout');
    const [quick, slow, never] = done.status?.steps ?? [];
    assert.equal(quick?.phase, 'Succeeded');
    assert.ok(slow?.phase === 'Failed' || slow?.phase === 'Cancelled', `the step stopped by the timeout: ${JSON.stringify(slow)}`);
    assert.equal(never?.phase, 'Skipped');
    assert.deepEqual(processesMatching(s), [], 'no sleep process is left once the run failed');
  });

  it('continueOnError lets the run go on and succeed; without it the run fails and skips the rest', async () => {
    const steps = (continueOnError: boolean): unknown[] => [
      { name: 'fails', run: 'echo failing; exit 3', continueOnError },
      { name: 'after', run: 'echo after' },
    ];
    await client.create(NS, { name: 'continue' }, { steps: steps(true) });
    await client.create(NS, { name: 'stop' }, { steps: steps(false) });
    const cont = await client.untilPhase(NS, 'continue', FINISHED);
    assert.equal(cont.status?.phase, 'Succeeded');
    assert.deepEqual(cont.status?.steps?.map((st) => [st.phase, st.exitCode]), [['Failed', 3], ['Succeeded', 0]]);
    assert.equal((await client.log(NS, 'continue')).body.split('\n').filter((l) => !l.startsWith('[kube-actions]')).join('\n'), 'failing\nafter\n');
    const stop = await client.untilPhase(NS, 'stop', FINISHED);
    assert.equal(stop.status?.phase, 'Failed');
    assert.equal(succeededReason(stop), 'StepFailed');
    assert.deepEqual(stop.status?.steps?.map((st) => st.phase), ['Failed', 'Skipped']);
  });

  it('spec.retry: a step failing twice succeeds on attempt 3; one that always fails ends Failed at attempt 3', async () => {
    const flaky = join(outside, 'flaky');
    const broken = join(outside, 'broken');
    // Each attempt runs as another uid and appends to the same files.
    for (const file of [flaky, broken]) {
      await writeFile(file, '');
      await chmod(file, 0o666);
    }
    const retry = { limit: 2, backoffSeconds: 1 };
    await client.create(NS, { name: 'flaky' }, {
      retry,
      steps: [{ name: 'main', run: `echo "$KUBEACTIONS_ATTEMPT $(date +%s%N)" >> ${flaky}; [ "$(wc -l < ${flaky})" -ge 3 ]` }],
    });
    await client.create(NS, { name: 'broken' }, {
      retry,
      steps: [{ name: 'main', run: `echo "$KUBEACTIONS_ATTEMPT" >> ${broken}; exit 1` }],
    });
    const ok = await client.untilPhase(NS, 'flaky', FINISHED);
    assert.equal(ok.status?.phase, 'Succeeded', JSON.stringify(ok.status));
    assert.equal(ok.status?.attempt, 3);
    const attempts = (await readFile(flaky, 'utf8')).trim().split('\n').map((l) => l.split(' '));
    assert.deepEqual(attempts.map(([n]) => n), ['1', '2', '3']);
    const startedMs = attempts.map(([, ns]) => Number(BigInt(ns ?? '0') / 1_000_000n));
    for (let i = 1; i < startedMs.length; i++) {
      const gap = (startedMs[i] ?? 0) - (startedMs[i - 1] ?? 0);
      assert.ok(gap >= 950, `attempt ${i + 1} started ${gap} ms after attempt ${i}: backoffSeconds 1 is waited`);
    }
    const failed = await client.untilPhase(NS, 'broken', FINISHED);
    assert.equal(failed.status?.phase, 'Failed', JSON.stringify(failed.status));
    assert.equal(failed.status?.attempt, 3);
    assert.equal(succeededReason(failed), 'StepFailed');
    assert.equal(await readFile(broken, 'utf8'), '1\n2\n3\n', 'exactly three attempts ran');
  });

  it('ttlSecondsAfterFinished deletes the finished run: a watch sees DELETED, then GET is 404', async () => {
    const ns = 'worker-ttl';
    const start = (await client.list(ns)).resourceVersion;
    const events: { type: string; phase?: string; name?: string }[] = [];
    const controller = await new Watch(kubeConfigFor(server)).watch(runsPath(ns), { resourceVersion: start },
      (type, obj: Run) => events.push({ type, phase: obj.status?.phase, name: obj.metadata?.name }), () => undefined);
    try {
      await client.create(ns, { name: 'short-lived' }, { ttlSecondsAfterFinished: 1, steps: [{ name: 'main', run: 'echo bye' }] });
      await waitFor(() => events.some((e) => e.type === 'DELETED'), { timeoutMs: 20_000, message: `a DELETED event (${JSON.stringify(events)})` });
    } finally {
      controller.abort();
    }
    const deleted = events.find((e) => e.type === 'DELETED');
    assert.equal(deleted?.name, 'short-lived');
    assert.equal(deleted?.phase, 'Succeeded');
    assert.ok(events.findIndex((e) => e.phase === 'Succeeded') < events.findIndex((e) => e.type === 'DELETED'));
    assert.equal(await client.get(ns, 'short-lived'), undefined);
    assert.equal((await client.log(ns, 'short-lived')).status, 404);
  });

  it('deleting a Running run stops its process and the run disappears', async () => {
    const s = sleeper();
    await client.create(NS, { name: 'doomed' }, { steps: [{ name: 'main', run: `sleep ${s} & sleep ${s}` }] });
    await waitFor(() => processesMatching(s).length >= 2, { timeoutMs: 10_000, message: `the step's sleep ${s} processes` });
    assert.equal((await client.get(NS, 'doomed'))?.status?.phase, 'Running');
    await client.delete(NS, 'doomed');
    await client.until(NS, 'doomed', (r) => r === undefined, 'to be gone', 15_000);
    assert.deepEqual(processesMatching(s), [], 'no sleep process is left once the run is gone');
  });
});

describe('the worker with one slot, through kube-actions dev', { timeout: 60_000 }, () => {
  let redis: TestRedis;
  let server: DevServer;
  let client: RunClient;
  let outside: string;
  const blocker = uniqueSleep();

  before(async () => {
    redis = await startTestRedis();
    server = await startDevServer({ redisUrl: redis.url, args: ['--concurrency', '1'] });
    client = new RunClient(server);
    outside = await mkdtemp(join(tmpdir(), 'kube-actions-worker-it-'));
    // Steps run under uids of their own (one per attempt): like /tmp, anyone may create files here.
    await chmod(outside, 0o1777);
  });
  after(async () => {
    killMatching(blocker);
    client?.close();
    await server?.stop();
    await redis?.stop();
    await rm(outside, { recursive: true, force: true });
  });

  it('a pending run that is deleted never starts', async () => {
    const started = join(outside, 'pending-started');
    await client.create(NS, { name: 'blocker' }, { steps: [{ name: 'main', run: `sleep ${blocker}` }] });
    await waitFor(() => processesMatching(blocker).length >= 1, { timeoutMs: 10_000, message: 'the blocker\'s step process' });
    await client.create(NS, { name: 'pending' }, { steps: [{ name: 'main', run: `touch ${started}` }] });
    assert.equal((await client.get(NS, 'pending'))?.status?.phase, 'Pending');
    await client.delete(NS, 'pending');
    assert.equal(await client.get(NS, 'pending'), undefined, 'a pending run is deleted at once');

    await client.delete(NS, 'blocker');
    await client.until(NS, 'blocker', (r) => r === undefined, 'to be gone', 15_000);
    // The slot is free: a run queued after the deleted one runs, so the deleted one would have run first.
    await client.create(NS, { name: 'after' }, { steps: [{ name: 'main', run: 'true' }] });
    assert.equal((await client.untilPhase(NS, 'after', FINISHED)).status?.phase, 'Succeeded');
    assert.equal(existsSync(started), false, 'the deleted run\'s step never ran');
    assert.equal(await client.get(NS, 'pending'), undefined);
  });
});
