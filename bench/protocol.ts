// What the bench process and its child processes say to each other over the IPC channel.

/** Everything a child needs, passed in the environment variable {@link CHILD_ENV_VAR} as JSON. */
export interface ChildEnv {
  redisUrl: string;
  /** Key prefix of our server's records and queue. */
  prefix: string;
  cert: string;
  key: string;
  /** Bearer token the apiserver accepts, for a user in `system:masters`. */
  token: string;
  /** Where the worker creates run workspaces. */
  workspaceDir: string;
}

/** The environment variable carrying a child's {@link ChildEnv}. */
export const CHILD_ENV_VAR = 'KA_BENCH_CHILD';

/** Commands a child executes; each answers with the matching {@link ChildResults} entry. */
export type ChildCommand =
  | { cmd: 'apiserver' }
  | { cmd: 'worker'; concurrency: number; logLimitBytes?: number }
  | { cmd: 'raw-worker'; queue: string; prefix: string; concurrency: number }
  | { cmd: 'koa-get'; body: string }
  | { cmd: 'koa-list' }
  | { cmd: 'raw-watch' }
  | { cmd: 'raw-stream'; bytes: number; script: string }
  | { cmd: 'raw-echo' }
  | { cmd: 'broadcast'; line: string }
  | { cmd: 'gc' }
  | { cmd: 'starts' }
  | { cmd: 'stop' };

/** The answer to each command, by `cmd`. */
export interface ChildResults {
  apiserver: { port: number };
  worker: Record<string, never>;
  'raw-worker': Record<string, never>;
  'koa-get': { port: number };
  'koa-list': { port: number };
  'raw-watch': { port: number };
  'raw-stream': { port: number };
  'raw-echo': { port: number };
  broadcast: { receivers: number };
  gc: Record<string, never>;
  /** Step starts of our worker (by run uid) and processor starts of the raw worker (by job id), in monoMs. */
  starts: { starts: [string, number][] };
  stop: Record<string, never>;
}

/** A command with the id its reply carries. */
export interface ChildRequest {
  id: number;
  command: ChildCommand;
}

/** A child's answer to the request with the same id. */
export type ChildReply = { id: number; result: unknown } | { id: number; error: string };
