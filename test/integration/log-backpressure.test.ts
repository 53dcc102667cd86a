// A follower that stops reading does not make the server buffer the log in memory: the
// stream waits for the socket to drain and reads Redis only as fast as the client reads.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ClientRequest } from 'node:http';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import { RunClient } from '../helpers/runs.js';
import { type DevServer, startDevServer } from '../helpers/server.js';

const LOG_BYTES = 120 * 1024 * 1024;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

describe('log follow with a client that stops reading', { timeout: 120_000 }, () => {
  let server: DevServer;
  let client: RunClient;
  before(async () => {
    server = await startDevServer({ args: ['--log-limit-bytes', String(LOG_BYTES * 2)] });
    client = new RunClient(server);
  });
  after(async () => {
    client?.close();
    await server?.stop();
  });

  it('keeps server memory bounded while the log grows far past it', async () => {
    await client.create('default', { name: 'loud' }, {
      steps: [{ name: 'main', run: `sleep 1; yes 0123456789012345678901234567890123456789012345678901234567890123456789 | head -c ${LOG_BYTES}` }],
    });
    const pid = server.proc.pid ?? 0;
    let received = 0;
    const stalled = new Promise<ClientRequest>((resolve, reject) => {
      const req = https.get(new URL('/apis/kubeactions.dev/v1alpha1/namespaces/default/workflowruns/loud/log?follow=true', server.url),
        { ca: server.ca, headers: { Authorization: `Bearer ${server.token}` } }, (res) => {
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
    assert.ok(afterRss - before < 64, `server RSS grew by ${Math.round(afterRss - before)} MiB while ${LOG_BYTES >> 20} MiB were logged`);
    const full = await client.log('default', 'loud', '?limitBytes=10');
    assert.equal(full.body, '0123456789');
  });
});
