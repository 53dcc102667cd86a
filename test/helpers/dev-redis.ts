// The private redis-server of a running `kube-actions dev`, found by its data dir: its pid, port
// and an authenticated URL, for tests that look at what the server keeps.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

export interface DevRedis {
  pid: number;
  port: number;
  /** `redis://<user>:<password>@127.0.0.1:<port>`, with the credentials from the data dir. */
  url: string;
}

/** Finds it by its working directory, `<dataDir>/redis`; the password is the data dir's `redis-password`. */
export async function devRedis(dataDir: string): Promise<DevRedis> {
  const dir = path.join(dataDir, 'redis');
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    // Redis works in its --dir and sets its title to `redis-server <host>:<port>`.
    let title: string;
    try {
      if (readlinkSync(`/proc/${name}/cwd`) !== dir) continue;
      title = readFileSync(`/proc/${name}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const port = Number(/redis-server [^:\s]+:(\d+)/.exec(title)?.[1]);
    if (!port) continue;
    const password = readFileSync(path.join(dataDir, 'redis-password'), 'utf8').trim();
    return { pid: Number(name), port, url: `redis://kube-actions:${encodeURIComponent(password)}@127.0.0.1:${port}` };
  }
  throw new Error(`no redis-server of ${dataDir} runs`);
}
