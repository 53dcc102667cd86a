// A follower that stops reading does not make the apiserver buffer the log in memory: the
// stream waits for the socket to drain and reads Redis only as fast as the client reads. The
// apiserver runs in its own process, so its memory is measured apart from the worker's.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ClientRequest } from 'node:http';
import https from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ApiServerProcess, type Component, startApiServerProcess, startWorkerProcess } from '../helpers/components.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { RunClient } from '../helpers/runs.js';

const LOG_BYTES = 120 * 1024 * 1024;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

describe('log follow with a client that stops reading', { timeout: 120_000 }, () => {
  let redis: TestRedis;
  let dir: string;
  let api: ApiServerProcess;
  let worker: Component;
  let client: RunClient;
  before(async () => {
    redis = await startTestRedis();
    dir = await mkdtemp(path.join(os.tmpdir(), 'kube-actions-backpressure-'));
    api = await startApiServerProcess({ redisUrl: redis.url, dir: path.join(dir, 'api') });
    worker = await startWorkerProcess({ redisUrl: redis.url, workspaceDir: path.join(dir, 'ws'), args: ['--log-limit-bytes', String(LOG_BYTES * 2)] });
    client = new RunClient(api.target);
  });
  after(async () => {
    client?.close();
    await worker?.stop();
    await api?.stop();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps server memory bounded while the log grows far past it', async () => {
    await client.create('default', { name: 'loud' }, {
      steps: [{ name: 'main', run: `sleep 1; yes 0123456789012345678901234567890123456789012345678901234567890123456789 | head -c ${LOG_BYTES}` }],
    });
    const pid = api.proc.pid ?? 0;
    let received = 0;
    const stalled = new Promise<ClientRequest>((resolve, reject) => {
      const req = https.get(new URL('/apis/kubeactions.dev/v1alpha1/namespaces/default/workflowruns/loud/log?follow=true', api.target.url),
        { ca: api.target.ca, headers: { Authorization: `Bearer ${api.target.token}` } }, (res) => {
          res.on('data', (d: Buffer) => {
            received += d.length;
            if (received > 1024 * 1024) {
              res.pause();
              resolve(req);
            }
          });
        });
      req.on('error', reject);
    });
    const req = await stalled;
    const before = rssMiB(pid);
    await client.untilPhase('default', 'loud', ['Succeeded'], 90_000);
    const afterRss = rssMiB(pid);
    req.destroy();
    assert.ok(received < 32 * 1024 * 1024, `the paused client got only what the socket buffers held (${received} bytes)`);
    assert.ok(afterRss - before < 64, `apiserver RSS grew by ${Math.round(afterRss - before)} MiB while ${LOG_BYTES >> 20} MiB were logged`);
    const full = await client.log('default', 'loud', '?limitBytes=10');
    assert.equal(full.body, '0123456789');
  });
});
