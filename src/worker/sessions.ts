// The worker's side of exec/attach sessions (queue/sessions.ts): exec runs a command in the
// run's workspace with the run's environment (in a pseudo-terminal with tty); attach joins the
// running step's stdin and output until the step ends.
import type { Writable } from 'node:stream';
import pty from 'node-pty';
import { Frame, frame, type SessionExit, type SessionHub, type SessionRequest } from '../queue/sessions.js';
import { runStepProcess } from './executor.js';
import { killGroup } from './process-group.js';
import { guardGroup, releaseGroup } from './group-guard.js';
import type { RunIdentity } from './sandbox.js';

/** The running step, as attach sees it. */
export interface StepIO {
  stdin?: Writable;
  /** Output listeners; each gets every chunk from now on. */
  listeners: Set<(stream: 'stdout' | 'stderr', chunk: Buffer) => void>;
  /** Called once when the step ends, with its exit code. */
  ended: Set<(exitCode: number | null) => void>;
}

/** What the worker knows of a run it holds. */
export interface HeldRun {
  workspace: string;
  env: Record<string, string>;
  /** The run's isolated identity: sessions run as it too. */
  identity?: RunIdentity;
  /** Aborted when the run's attempt ends: sessions end with it. */
  signal: AbortSignal;
  step?: StepIO;
}

const STEP_WAIT_MS = 5000;

interface Handlers {
  stdin?: (d: Buffer) => void;
  stdinClose?: () => void;
  resize?: (width: number, height: number) => void;
  end?: () => void;
}

interface Wire {
  send(type: number, data?: Buffer | string): void;
  exit(e: SessionExit): void;
}

/** Takes a session: listens on its `in` channel, answers ready, then serves it. */
export async function serveSession(hub: SessionHub, req: SessionRequest, held: HeldRun): Promise<void> {
  const out = hub.channel(req.session, 'out');
  let finished = false;
  const handlers: Handlers = {};
  const stop = await hub.listen(hub.channel(req.session, 'in'), (type, data) => {
    if (type === Frame.stdin) handlers.stdin?.(data);
    else if (type === Frame.stdinClose) handlers.stdinClose?.();
    else if (type === Frame.end) handlers.end?.();
    else if (type === Frame.resize) {
      try {
        const s = JSON.parse(data.toString()) as { width: number; height: number };
        handlers.resize?.(s.width, s.height);
      } catch {
        // a malformed size is ignored
      }
    }
  });
  const wire: Wire = {
    send: (type, data) => hub.send(out, frame(type, data)),
    exit: (e) => {
      if (finished) return;
      finished = true;
      stop();
      hub.send(out, frame(Frame.exit, JSON.stringify(e)));
    },
  };
  wire.send(Frame.ready);
  if (req.action === 'attach') {
    // Between two steps (the next is marked Running before its process starts) wait for it.
    for (let waited = 0; !held.step && waited < STEP_WAIT_MS && !held.signal.aborted; waited += 20) {
      await new Promise((r) => setTimeout(r, 20));
    }
    attach(req, held, wire, handlers);
  }
  else if (req.tty) execTTY(req, held, wire, handlers);
  else void execPipes(req, held, wire, handlers);
}

function attach(req: SessionRequest, held: HeldRun, wire: Wire, h: Handlers): void {
  const step = held.step;
  if (!step) return wire.exit({ exitCode: null, error: 'no step is running' });
  const listener = (stream: 'stdout' | 'stderr', chunk: Buffer): void => {
    if ((stream === 'stdout' && req.stdout) || (stream === 'stderr' && req.stderr)) wire.send(stream === 'stdout' ? Frame.stdout : Frame.stderr, chunk);
  };
  const onEnd = (exitCode: number | null): void => {
    step.listeners.delete(listener);
    wire.exit({ exitCode });
  };
  step.listeners.add(listener);
  step.ended.add(onEnd);
  if (req.stdin && step.stdin) {
    const stdin = step.stdin;
    h.stdin = (d) => stdin.write(d);
  }
  h.end = () => {
    step.listeners.delete(listener);
    step.ended.delete(onEnd);
    wire.exit({ exitCode: 0 });
  };
}

async function execPipes(req: SessionRequest, held: HeldRun, wire: Wire, h: Handlers): Promise<void> {
  const controller = new AbortController();
  const abort = (): void => controller.abort('Cancelled');
  held.signal.addEventListener('abort', abort, { once: true });
  h.end = abort;
  const early: Buffer[] = [];
  let stdinEnded = false;
  h.stdin = (d) => early.push(d);
  h.stdinClose = () => (stdinEnded = true);
  const result = await runStepProcess({
    script: '', argv: req.command, stdin: req.stdin, workspace: held.workspace, env: held.env,
    ...(held.identity ? { identity: held.identity } : {}),
    signal: controller.signal, killGraceMs: 2000,
    onStart: (_pid, stdin) => {
      if (!stdin) return;
      for (const d of early.splice(0)) stdin.write(d);
      if (stdinEnded) stdin.end();
      h.stdin = (d) => stdin.write(d);
      h.stdinClose = () => stdin.end();
    },
    onOutput: (stream, chunk) => {
      if ((stream === 'stdout' && req.stdout) || (stream === 'stderr' && req.stderr)) wire.send(stream === 'stdout' ? Frame.stdout : Frame.stderr, chunk);
    },
  });
  held.signal.removeEventListener('abort', abort);
  wire.exit(result.outcome === 'StartError' ? { exitCode: null, error: result.message } : { exitCode: result.exitCode });
}

/** How long a tty exec waits for the client's first size before starting at 80x24. */
const FIRST_SIZE_WAIT_MS = 250;

function execTTY(req: SessionRequest, held: HeldRun, wire: Wire, h: Handlers): void {
  // Clients send the terminal size right after connecting: start the command with it.
  const early: Buffer[] = [];
  h.stdin = (d) => early.push(d);
  const start = (cols: number, rows: number): void => {
    clearTimeout(timer);
    spawnTTY(req, held, wire, h, cols, rows, early);
  };
  const timer = setTimeout(() => start(80, 24), FIRST_SIZE_WAIT_MS);
  h.resize = (w, hgt) => {
    if (w > 0 && hgt > 0 && w < 10_000 && hgt < 10_000) start(w, hgt);
  };
  h.end = () => clearTimeout(timer);
}

function spawnTTY(req: SessionRequest, held: HeldRun, wire: Wire, h: Handlers, cols: number, rows: number, early: Buffer[]): void {
  const [file = '', ...args] = held.identity ? held.identity.argv({ argv: req.command }) : req.command;
  let term: pty.IPty;
  try {
    term = pty.spawn(file, args, { name: 'xterm-256color', cols, rows, cwd: held.workspace, env: { TERM: 'xterm-256color', ...held.env } });
  } catch (err) {
    return wire.exit({ exitCode: null, error: err instanceof Error ? err.message : String(err) });
  }
  guardGroup(term.pid);
  const kill = (): void => void killGroup(term.pid);
  held.signal.addEventListener('abort', kill, { once: true });
  term.onData((d) => wire.send(Frame.stdout, d));
  term.onExit(({ exitCode }) => {
    releaseGroup(term.pid);
    held.signal.removeEventListener('abort', kill);
    wire.exit({ exitCode });
  });
  for (const d of early.splice(0)) term.write(d.toString('utf8'));
  h.stdin = (d) => term.write(d.toString('utf8'));
  h.stdinClose = () => term.write('\x04');
  h.resize = (w, hgt) => {
    if (w > 0 && hgt > 0 && w < 10_000 && hgt < 10_000) term.resize(w, hgt);
  };
  h.end = kill;
}
