// The soak's watch process: holds a WatchPool and answers the bench process's commands
// (watch-client.ts) over the IPC channel.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { WatchCommand, WatchReply, WatchRequest, WatchResults } from './watch-client.js';
import { WatchPool } from './watch-pool.js';

let pool: WatchPool | undefined;
const loop = monitorEventLoopDelay({ resolution: 10 });

function opened(): WatchPool {
  if (!pool) throw new Error('no watches are open');
  return pool;
}

async function execute(c: WatchCommand): Promise<WatchResults[WatchCommand['cmd']]> {
  switch (c.cmd) {
    case 'open': {
      pool = new WatchPool(c.ca, c.token);
      await pool.open(c.specs, c.ports, c.rv);
      loop.enable();
      return { count: pool.count };
    }
    case 'mark': {
      const result = { events: opened().events, loopDelay: { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 } };
      loop.reset();
      return result;
    }
    case 'missing': return { missing: opened().missing(c.creates) };
    case 'report': {
      const p = opened();
      return { latencies: p.latencies(c.sentAt), errors: p.stats.errors, firstErrors: p.stats.firstErrors };
    }
    case 'close': {
      pool?.close();
      setTimeout(() => process.exit(0), 50).unref();
      return {};
    }
  }
}

process.on('message', (msg: WatchRequest) => {
  execute(msg.command).then(
    (result) => process.send?.({ id: msg.id, result } satisfies WatchReply),
    (err: unknown) => process.send?.({ id: msg.id, error: err instanceof Error ? err.message : String(err) } satisfies WatchReply),
  );
});
process.on('disconnect', () => {
  pool?.close();
  process.exit(0);
});
