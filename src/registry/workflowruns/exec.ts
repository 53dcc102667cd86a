// ExecREST and AttachREST: the apiserver's side of exec/attach. The command runs on the worker
// that holds the run; this side relays the websocket to it through Redis (queue/sessions.ts).
import { randomUUID } from 'node:crypto';
import { newBadRequest } from '../../apiserver/errors.js';
import type { Connecter, RemoteCommandOptions } from '../../apiserver/handlers/types.js';
import type { StreamSession } from '../../apiserver/remotecommand/session.js';
import type { Getter, RequestContext } from '../../apiserver/rest.js';
import type { WorkflowRun } from '../../apis/kubeactions/types.js';
import type { RunQueue } from '../../queue/run-queue.js';
import { Frame, frame, type SessionExit, type SessionHub, type SessionRequest } from '../../queue/sessions.js';

/** How long the worker holding the run has to take the session. */
const READY_TIMEOUT_MS = 10_000;
/** A client that reads slower than this many buffered bytes is disconnected. */
const MAX_BUFFERED = 16 * 1024 * 1024;

/** The Status the kubelet ends a session with (channel 3, v4/v5). */
export function exitStatus(exit: SessionExit, command: string[]): Parameters<StreamSession['finish']>[0] {
  if (exit.error !== undefined) {
    return {
      metadata: {}, status: 'Failure', message: `Internal error occurred: ${exit.error}`, reason: 'InternalError',
      details: { causes: [{ message: exit.error }] }, code: 500,
    };
  }
  if (exit.exitCode === 0) return { metadata: {}, status: 'Success' };
  const code = exit.exitCode ?? 1;
  return {
    metadata: {}, status: 'Failure',
    message: command.length > 0
      ? `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`
      : `command terminated with non-zero exit code: exit code ${code}`,
    reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  } as Parameters<StreamSession['finish']>[0];
}

/** Relays one upgraded session to the worker and back. */
function relay(hub: SessionHub, queue: RunQueue, request: SessionRequest, session: StreamSession): void {
  const toWorker = hub.channel(request.session, 'in');
  let ready = false;
  let done = false;
  const pending: Buffer[] = [];
  const send = (b: Buffer): void => {
    if (ready) hub.send(toWorker, b);
    else pending.push(b);
  };
  let unlisten = (): void => undefined;
  const end = (status?: Parameters<StreamSession['finish']>[0]): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    unlisten();
    hub.send(toWorker, frame(Frame.end));
    if (status) session.finish(status);
  };
  const timer = setTimeout(() => end(exitStatus({ exitCode: null, error: 'the worker holding the run did not take the session' }, request.command)), READY_TIMEOUT_MS);
  session.onStdin((d) => send(frame(Frame.stdin, d)));
  session.onStdinEnd(() => send(frame(Frame.stdinClose)));
  session.onResize((s) => send(frame(Frame.resize, JSON.stringify(s))));
  session.onClose(() => end());
  const onFrame = (type: number, data: Buffer, whole: Buffer): void => {
    if (type === Frame.ready) {
      ready = true;
      clearTimeout(timer);
      for (const b of pending.splice(0)) hub.send(toWorker, b);
    } else if (type === Frame.stdout || type === Frame.stderr) session.frame(whole);
    else if (type === Frame.exit) end(exitStatus(JSON.parse(data.toString()) as SessionExit, request.command));
    if (session.buffered > MAX_BUFFERED) end(exitStatus({ exitCode: null, error: 'the client does not read its output' }, request.command));
  };
  hub.listen(hub.channel(request.session, 'out'), onFrame)
    .then(async (stop) => {
      unlisten = stop;
      if (done) return stop();
      await queue.publish({ action: request.action, request });
    })
    .catch((err: unknown) => end(exitStatus({ exitCode: null, error: String(err) }, request.command)));
}

abstract class RunConnecter implements Connecter {
  abstract readonly action: 'exec' | 'attach';
  constructor(
    readonly runs: Getter,
    readonly hub: SessionHub,
    readonly queue: RunQueue,
  ) {}

  /** Why this run cannot take the session, if it cannot. */
  protected abstract refuse(run: WorkflowRun, opts: RemoteCommandOptions): string | undefined;

  async connect(ctx: RequestContext, name: string, opts: RemoteCommandOptions): Promise<(session: StreamSession) => void> {
    const run = (await this.runs.get(ctx, name)).object as WorkflowRun;
    const phase = run.status?.phase ?? 'Pending';
    if (phase !== 'Running') {
      throw newBadRequest(`cannot ${this.action} into workflowrun "${name}": it is ${phase}, not Running`);
    }
    const why = this.refuse(run, opts);
    if (why) throw newBadRequest(why);
    const request: SessionRequest = { action: this.action, uid: run.metadata.uid, session: randomUUID(), ...opts };
    return (session) => relay(this.hub, this.queue, request, session);
  }
}

export class ExecREST extends RunConnecter {
  readonly action = 'exec';
  protected refuse(): string | undefined {
    return undefined;
  }
}

export class AttachREST extends RunConnecter {
  readonly action = 'attach';
  protected refuse(run: WorkflowRun, opts: RemoteCommandOptions): string | undefined {
    const index = run.status?.steps?.findIndex((s) => s.phase === 'Running') ?? -1;
    const step = run.spec.steps[index];
    if (!step) return `cannot attach to workflowrun "${run.metadata.name}": no step is running`;
    if (opts.tty) return `cannot attach with a tty to step "${step.name}": steps do not run in a terminal`;
    if (opts.stdin && !step.stdin) return `cannot attach to the stdin of step "${step.name}": it does not read stdin (set stdin: true on the step)`;
    return undefined;
  }
}
