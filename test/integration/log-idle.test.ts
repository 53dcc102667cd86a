// A follow stays open through a long silence while the run runs, then gets what comes.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openWatchlessStream } from '../helpers/stream.js';
import { RunClient } from '../helpers/runs.js';
import { type TestRedis, startTestRedis } from '../helpers/redis.js';
import { type DevServer, startDevServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const SILENCE_MS = 120_000;

describe('log follow through two minutes of silence', { timeout: SILENCE_MS + 60_000 }, () => {
  let redis: TestRedis;
  let server: DevServer;
  let client: RunClient;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kube-actions-idle-'));
    // The step, under a uid of its own, looks for the file the test writes there.
    await chmod(dir, 0o711);
    redis = await startTestRedis();
    server = await startDevServer({ redisUrl: redis.url });
    client = new RunClient(server);
  });
  after(async () => {
    client?.close();
    await server?.stop();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the response open and delivers the line written after the silence', async () => {
    const go = path.join(dir, 'go');
    await client.create('default', { name: 'idle' }, {
      steps: [{ name: 'main', run: `echo before; while [ ! -f ${go} ]; do sleep 0.2; done; echo after` }],
    });
    const stream = await openWatchlessStream(server, '/apis/kubeactions.dev/v1alpha1/namespaces/default/workflowruns/idle/log?follow=true');
    await waitFor(() => stream.text() === 'before\n', { timeoutMs: 20_000, message: 'the first line' });
    const silentUntil = Date.now() + SILENCE_MS;
    await waitFor(() => Date.now() >= silentUntil || stream.ended(), { timeoutMs: SILENCE_MS + 5_000, intervalMs: 1000, message: 'two minutes' });
    assert.equal(stream.ended(), false, 'still open after two minutes of silence');
    await writeFile(go, '');
    await waitFor(() => stream.ended(), { timeoutMs: 20_000, message: 'the follow to end with the run' });
    assert.equal(stream.text(), 'before\nafter\n');
  });
});
