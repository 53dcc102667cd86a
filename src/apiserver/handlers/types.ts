// What the installer hands each verb handler.
import type { Context } from 'koa';
import type { ResourceDescriptor } from '../resource.js';
import type { NamedCreater, RequestContext, SelectableFields, TableConvertor } from '../rest.js';
import type { RequestInfo } from '../request-info.js';
import type { StreamSession } from '../remotecommand/session.js';

/** A streamed response (logs): decided before the first byte, then written as it comes. */
export interface ResourceStreamer {
  contentType: string;
  /** Flush after every chunk (follow). */
  flush: boolean;
  stream: AsyncIterable<Buffer>;
}

/** GET on a subresource that streams (`log`), with options from the query. */
export interface StreamGetter {
  getStream(ctx: RequestContext, name: string, query: URLSearchParams): Promise<ResourceStreamer>;
}

/** exec/attach options (PodExecOptions, PodAttachOptions). */
export interface RemoteCommandOptions {
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/**
 * A subresource that connects the client to a process (exec, attach): `connect` checks the
 * request before the websocket upgrade (its StatusErrors go back as plain HTTP answers) and
 * resolves to what serves the session once upgraded.
 */
export interface Connecter {
  connect(ctx: RequestContext, name: string, opts: RemoteCommandOptions): Promise<(session: StreamSession) => void>;
}

/** Everything served for one resource. */
export interface ResourceInstall {
  descriptor: ResourceDescriptor;
  storage: object;
  table: TableConvertor;
  fields: SelectableFields;
  streams?: Record<string, StreamGetter>;
  actions?: Record<string, NamedCreater>;
  connecters?: Record<string, Connecter>;
}

export interface WatchSettings {
  /** Interval of BOOKMARK events for watches that allow them. */
  bookmarkIntervalMs: number;
  /** A watch whose client reads slower than this many buffered bytes is ended. */
  maxBufferedBytes: number;
  /** Watches without timeoutSeconds end after a random time in [min, 2*min]. */
  minRequestTimeoutSeconds: number;
}

export interface HandlerArgs {
  ctx: Context;
  info: RequestInfo;
  install: ResourceInstall;
  req: RequestContext;
  query: URLSearchParams;
  watch: WatchSettings;
}
