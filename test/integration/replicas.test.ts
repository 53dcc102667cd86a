// Separate processes meeting only through Redis: two apiserver replicas and a worker. A run
// created through one replica is followed, exec'd into, logged and cancelled through the other.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ChannelClient, remoteCommandPath } from '../helpers/channel-client.js';
import { type ApiServerProcess, type Component, startApiServerProcess, startWorkerProcess } from '../helpers/components.js';
import { processesMatching, uniqueSleep } from '../helpers/procs.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { RunClient } from '../helpers/runs.js';
import { waitFor } from '../helpers/wait.js';

const NS = 'default';

describe('two apiserver replicas and a worker process', { timeout: 120_000 }, () => {
  let redis: TestRedis;
  let dir: string;
  let a: ApiServerProcess;
  let b: ApiServerProcess;
  let worker: Component;
  before(async () => {
    redis = await startTestRedis();
    dir = await mkdtemp(path.join(os.tmpdir(), 'kube-actions-replicas-'));
    [a, b] = await Promise.all([
      startApiServerProcess({ redisUrl: redis.url, dir: path.join(dir, 'a') }),
      startApiServerProcess({ redisUrl: redis.url, dir: path.join(dir, 'b') }),
    ]);
    worker = await startWorkerProcess({ redisUrl: redis.url, workspaceDir: path.join(dir, 'ws') });
  });
  after(async () => {
    await worker?.stop();
    await a?.stop();
    await b?.stop();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('exec, log and cancel work through the replica that did not create the run', async () => {
    const viaA = new RunClient(a.target);
    const viaB = new RunClient(b.target);
    try {
      const marker = uniqueSleep();
      await viaA.create(NS, { name: 'shared' }, { params: { WHO: 'b' }, steps: [{ name: 'main', run: `echo started; sleep ${marker}` }] });
      await viaB.untilPhase(NS, 'shared', ['Running']);
      await waitFor(() => processesMatching(marker).length > 0, { timeoutMs: 20_000, message: 'the step to run' });

      const exec = await ChannelClient.open(b.target, remoteCommandPath(NS, 'shared', 'exec', {
        command: ['sh', '-c', 'echo "hello from $PARAM_WHO in $KUBEACTIONS_RUN"'], stdout: true, stderr: true,
      }), ['v5.channel.k8s.io']);
      await exec.waitOutput(1, 'hello from b in shared\n');
      assert.equal((await exec.finished()).status, '{"metadata":{},"status":"Success"}');

      const log = await viaB.log(NS, 'shared', '?limitBytes=8');
      assert.equal(log.body, 'started\n');

      const cancel = await viaB.raw('POST', `/apis/kubeactions.dev/v1alpha1/namespaces/${NS}/workflowruns/shared/cancel`, { reason: 'from replica b' });
      assert.equal(cancel.status, 201);
      const done = await viaA.untilPhase(NS, 'shared', ['Cancelled']);
      assert.equal(done.status?.conditions?.find((c) => c.type === 'Succeeded')?.message, 'from replica b');
      await waitFor(() => processesMatching(marker).length === 0, { timeoutMs: 10_000, message: 'no step process left' });
    } finally {
      viaA.close();
      viaB.close();
    }
  });
});
