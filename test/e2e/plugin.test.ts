// The kubectl plugin (`kubectl actions …`), built and run as a child process with the server's
// kubeconfig against the real `kube-actions dev`: run/logs/watch/cancel/retry/exec/attach, its
// errors, and discovery by the real kubectl through PATH.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { killMatching, uniqueSleep } from '../helpers/procs.js';
import { RunClient, succeededReason } from '../helpers/runs.js';
import { type CommandResult, type DevServer, startDevServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const PLUGIN = fileURLToPath(new URL('../../src/plugin/main.js', import.meta.url));
const NS = 'plugin-e2e';
const NOT_FOUND = (name: string): string => `Error from server (NotFound): workflowruns.kubeactions.dev "${name}" not found\n`;

interface Step {
  name: string;
  run: string;
  stdin?: boolean;
}

/** A WorkflowRun manifest (YAML) in the test namespace. */
function manifest(generateName: string, steps: Step[], params?: Record<string, string>): string {
  const lines = [
    'apiVersion: kubeactions.dev/v1alpha1',
    'kind: WorkflowRun',
    `metadata: {generateName: ${generateName}, namespace: ${NS}}`,
    'spec:',
    ...(params ? [`  params: ${JSON.stringify(params)}`] : []),
    '  steps:',
    ...steps.map((s) => `    - ${JSON.stringify(s)}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** The name in `workflowrun.kubeactions.dev/NAME created`. */
function createdName(stdout: string): string {
  const m = /^workflowrun\.kubeactions\.dev\/(\S+)( created)?$/m.exec(stdout);
  assert.ok(m?.[1], `no created name in ${JSON.stringify(stdout)}`);
  return m[1];
}

describe('kubectl actions (the kubectl plugin)', { timeout: 300_000 }, () => {
  let server: DevServer;
  let runs: RunClient;
  let dir: string;
  const sleeps: string[] = [];

  /** Runs the built plugin with the server's kubeconfig; stdin is `input` (empty by default). */
  function plugin(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<CommandResult & { ms: number }> {
    const started = Date.now();
    return new Promise((resolve) => {
      const child = execFile(process.execPath, [PLUGIN, '--kubeconfig', server.kubeconfig, ...args],
        { timeout: opts.timeoutMs ?? 60_000, env: { ...process.env, HOME: server.dataDir, KUBECONFIG: '' } },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
          resolve({ code, stdout, stderr, ms: Date.now() - started });
        });
      child.stdin?.end(opts.input ?? '');
    });
  }

  /** Writes a manifest file and returns its path. */
  async function file(name: string, text: string): Promise<string> {
    const p = path.join(dir, name);
    await writeFile(p, text);
    return p;
  }

  /** Creates a run whose single step sleeps (until killed), and waits until it is Running. */
  async function sleeper(generateName: string): Promise<string> {
    const sleep = uniqueSleep();
    sleeps.push(sleep);
    const created = await plugin(['run', '-f', '-'], { input: manifest(generateName, [{ name: 'hold', run: `sleep ${sleep}` }]) });
    assert.equal(created.code, 0, created.stderr);
    const name = createdName(created.stdout);
    await runs.untilPhase(NS, name, ['Running']);
    return name;
  }

  before(async () => {
    server = await startDevServer();
    runs = new RunClient(server);
    dir = await mkdtemp(path.join(os.tmpdir(), 'kubectl-actions-'));
  });

  after(async () => {
    for (const s of sleeps) killMatching(s);
    runs?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('--help lists every command, and each command has its own help', async () => {
    const top = await plugin(['--help']);
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /^Usage: kubectl actions \[options\] \[command\]/);
    for (const cmd of ['run', 'logs', 'watch', 'exec', 'attach', 'cancel', 'retry']) assert.match(top.stdout, new RegExp(`^  ${cmd} `, 'm'), cmd);
    const run = await plugin(['run', '--help']);
    assert.equal(run.code, 0);
    for (const flag of ['--filename', '--param', '--follow', '--wait', '--timeout', '--kubeconfig', '--namespace']) assert.ok(run.stdout.includes(flag), flag);
    const missing = await plugin(['run']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /required option '-f, --filename <file>' not specified/);
  });

  it('run --wait: exit 0 when the run Succeeded, 1 with the condition message when it Failed', async () => {
    const ok = await plugin(['run', '-f', await file('ok.yaml', manifest('ok-', [{ name: 'a', run: 'echo fine' }])), '--wait']);
    assert.equal(ok.code, 0, ok.stderr);
    const name = createdName(ok.stdout);
    assert.equal(ok.stdout, `workflowrun.kubeactions.dev/${name} created\nworkflowrun.kubeactions.dev/${name} succeeded\n`);
    assert.equal((await runs.get(NS, name))?.status?.phase, 'Succeeded');

    const bad = await plugin(['run', '-f', await file('bad.yaml', manifest('bad-', [{ name: 'a', run: 'echo oops; exit 3' }])), '--wait']);
    assert.equal(bad.code, 1);
    const failed = createdName(bad.stdout);
    const run = await runs.get(NS, failed);
    assert.equal(run?.status?.phase, 'Failed');
    const message = run?.status?.conditions?.find((c) => c.type === 'Succeeded')?.message ?? '';
    assert.match(message, /exit code 3/);
    assert.equal(bad.stderr, `workflowrun.kubeactions.dev/${failed} Failed (StepFailed): ${message}\n`);
  });

  it('run -f - --param … --follow --wait: the params reach the steps, the log streams to stdout', async () => {
    const text = manifest('follow-', [
      { name: 'one', run: 'echo "greeting=$PARAM_GREETING target=$(params.TARGET)"' },
      { name: 'two', run: 'for i in 1 2 3; do echo "line $i"; sleep 0.3; done' },
    ], { GREETING: 'hello', TARGET: 'world' });
    const r = await plugin(['run', '-f', '-', '--param', 'GREETING=bonjour', '--param', 'EXTRA=a=b', '--follow', '--wait'], { input: text });
    assert.equal(r.code, 0, r.stderr);
    const name = createdName(r.stdout);
    assert.equal(r.stdout, `workflowrun.kubeactions.dev/${name} created\ngreeting=bonjour target=world\nline 1\nline 2\nline 3\n`);
    const run = await runs.get(NS, name);
    assert.deepEqual(run?.spec.params, { GREETING: 'bonjour', TARGET: 'world', EXTRA: 'a=b' });
  });

  it('run --follow --timeout: stops with kubectl wait\'s timeout message and exit 1', async () => {
    const sleep = uniqueSleep();
    sleeps.push(sleep);
    const r = await plugin(['run', '-f', '-', '--follow', '--wait', '--timeout', '4s'],
      { input: manifest('slow-', [{ name: 'a', run: `echo started; sleep ${sleep}` }]) });
    assert.equal(r.code, 1);
    const name = createdName(r.stdout);
    assert.match(r.stdout, /^started$/m);
    assert.equal(r.stderr, `error: timed out waiting for the condition on workflowruns/${name}\n`);
    assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
    const bad = await plugin(['run', '-f', '-', '--wait', '--timeout', '10'], { input: manifest('never-', [{ name: 'a', run: 'true' }]) });
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'error: time: missing unit in duration "10"\n');
    assert.equal(bad.stdout, '', 'nothing is created when a flag is bad');
  });

  it('logs: all steps, --step, --tail, --timestamps, --limit-bytes, --since, --previous', async () => {
    const r = await plugin(['run', '-f', '-', '--wait'], {
      input: manifest('logs-', [{ name: 'one', run: 'for i in 1 2 3 4 5; do echo "l$i"; done' }, { name: 'two', run: 'echo m1; echo m2; echo m3' }]),
    });
    assert.equal(r.code, 0, r.stderr);
    const name = createdName(r.stdout);
    const logs = async (...args: string[]): Promise<string> => {
      const res = await plugin(['logs', '-n', NS, ...args, name]);
      assert.equal(res.code, 0, res.stderr);
      return res.stdout;
    };
    assert.equal(await logs(), 'l1\nl2\nl3\nl4\nl5\nm1\nm2\nm3\n');
    assert.equal(await logs('--step', 'two'), 'm1\nm2\nm3\n');
    assert.equal(await logs('-c', 'one', '--tail', '2'), 'l4\nl5\n');
    assert.equal(await logs('--tail', '1'), 'm3\n');
    assert.match(await logs('--timestamps', '--step', 'one', '--tail', '1'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z l5\n$/);
    assert.equal(await logs('--limit-bytes', '4'), 'l1\nl');
    assert.equal(await logs('--since', '1h', '--step', 'two'), 'm1\nm2\nm3\n');
    const previous = await plugin(['logs', '-n', NS, '-p', name]);
    assert.equal(previous.code, 1);
    assert.equal(previous.stderr, `Error from server (BadRequest): previous attempt of workflowrun "${name}" not found\n`);
    const badStep = await plugin(['logs', '-n', NS, '--step', 'nope', name]);
    assert.equal(badStep.stderr, `Error from server (BadRequest): step nope is not valid for workflowrun ${name}\n`);
  });

  it('logs -f follows a run from Pending until it ends', async () => {
    const created = await plugin(['run', '-f', '-', '-o', 'name'],
      { input: manifest('tail-', [{ name: 'a', run: 'echo first; sleep 1; echo second' }, { name: 'b', run: 'echo third' }]) });
    assert.equal(created.code, 0, created.stderr);
    const name = createdName(created.stdout);
    assert.equal(created.stdout, `workflowrun.kubeactions.dev/${name}\n`);
    const followed = await plugin(['logs', '-n', NS, '-f', name]);
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal(followed.stdout, 'first\nsecond\nthird\n');
    assert.equal((await runs.get(NS, name))?.status?.phase, 'Succeeded');
  });

  it('cancel --reason stops a running run; retry --param creates a new run and prints its name', async () => {
    const name = await sleeper('cancel-');
    const cancelled = await plugin(['cancel', '-n', NS, name, '--reason', 'superseded by v2', '--grace-period', '1']);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.equal(cancelled.stdout, `workflowrun.kubeactions.dev/${name} cancelled\n`);
    const run = await runs.untilPhase(NS, name, ['Cancelled']);
    assert.equal(run.status?.conditions?.find((c) => c.type === 'Succeeded')?.message, 'superseded by v2');

    const retried = await plugin(['retry', '-n', NS, name, '--param', 'GIT_REF=v2']);
    assert.equal(retried.code, 0, retried.stderr);
    const next = createdName(retried.stdout);
    assert.notEqual(next, name);
    assert.equal(retried.stdout, `workflowrun.kubeactions.dev/${next} created\n`);
    const copy = await runs.get(NS, next);
    assert.equal(copy?.metadata.labels?.['kubeactions.dev/retry-of'], name);
    assert.deepEqual(copy?.spec.params, { GIT_REF: 'v2' });
    const again = await plugin(['cancel', '-n', NS, next]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(succeededReason(await runs.untilPhase(NS, next, ['Cancelled'])), 'Cancelled');
  });

  it('watch (not a terminal): appends a view per change; the last shows the finished steps; exit 0 / 1', async () => {
    const ok = await plugin(['run', '-f', '-', '-o', 'name'],
      { input: manifest('watch-', [{ name: 'a', run: 'true' }, { name: 'bb', run: 'sleep 3' }, { name: 'c', run: 'true' }]) });
    const name = createdName(ok.stdout);
    const watched = await plugin(['watch', '-n', NS, name]);
    assert.equal(watched.code, 0, watched.stderr);
    assert.doesNotMatch(watched.stdout, /\x1b\[/, 'no ANSI escapes when stdout is not a terminal');
    const blocks = watched.stdout.trimEnd().split('\n\nName:');
    const last = blocks.at(-1) ?? '';
    assert.match(last, new RegExp(`^(Name:)? +${name}\n`));
    assert.match(last, /^Namespace: +plugin-e2e$/m);
    assert.match(last, /^Phase: +Succeeded$/m);
    assert.match(last, /^Progress: +\[#{20}\] 3\/3$/m);
    assert.match(last, /^STEP +PHASE +DURATION +EXIT +MESSAGE$/m);
    for (const step of ['a', 'bb', 'c']) assert.match(last, new RegExp(`^✔ ${step} +Succeeded +\\d+s +0 `, 'm'), step);
    assert.ok(blocks.length >= 2, `a view per change: ${watched.stdout}`);

    const bad = await plugin(['run', '-f', '-', '-o', 'name'],
      { input: manifest('watchfail-', [{ name: 'a', run: 'true' }, { name: 'b', run: 'exit 4' }, { name: 'c', run: 'true' }]) });
    const failed = await plugin(['watch', '-n', NS, createdName(bad.stdout)]);
    assert.equal(failed.code, 1);
    assert.equal(failed.stderr, '');
    const view = failed.stdout.trimEnd().split('\n\nName:').at(-1) ?? '';
    assert.match(view, /^Phase: +Failed$/m);
    assert.match(view, /^Progress: +\[#{20}\] 3\/3$/m);
    assert.match(view, /^✖ b +Failed +\d+s +4 /m);
    assert.match(view, /^○ c +Skipped$/m);
  });

  it('a missing run: every command prints the server\'s NotFound as kubectl does and exits 1', async () => {
    for (const args of [['logs', 'nope'], ['watch', 'nope'], ['cancel', 'nope'], ['retry', 'nope'], ['exec', 'nope', '--', 'true'], ['attach', 'nope']]) {
      const r = await plugin(['-n', NS, ...args]);
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(r.stderr, NOT_FOUND('nope'), args.join(' '));
      assert.equal(r.stdout, '');
    }
  });

  it('client-side errors: invalid run, wrong kind, missing file, namespace mismatch, unknown context, refused connection', async () => {
    const invalid = await plugin(['run', '-f', '-'], { input: manifest('invalid-', [{ name: 'A', run: '' }]) });
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /^The WorkflowRun "invalid-[a-z0-9]{5}" is invalid: \n\* spec\.steps\[0\]\.name: Invalid value: "A": /);
    assert.match(invalid.stderr, /^\* spec\.steps\[0\]\.run: Required value$/m);
    const kind = await plugin(['run', '-f', '-'], { input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n' });
    assert.equal(kind.stderr, 'error: STDIN: expected apiVersion kubeactions.dev/v1alpha1, kind WorkflowRun (found v1, Pod)\n');
    const missing = await plugin(['run', '-f', path.join(dir, 'absent.yaml')]);
    assert.equal(missing.stderr, `error: the path "${path.join(dir, 'absent.yaml')}" does not exist\n`);
    const mismatch = await plugin(['run', '-n', 'other', '-f', '-'], { input: manifest('x-', [{ name: 'a', run: 'true' }]) });
    assert.equal(mismatch.code, 1);
    assert.match(mismatch.stderr, /^error: the namespace from the provided object "plugin-e2e" does not match the namespace "other"\./);
    const context = await plugin(['--context', 'nope', 'logs', 'x']);
    assert.equal(context.stderr, 'error: context was not found for specified context: nope\n');

    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(p));
      });
    });
    const refused = await file('refused.kubeconfig', (await readFile(server.kubeconfig, 'utf8')).replace(`127.0.0.1:${server.port}`, `127.0.0.1:${port}`));
    const r = await plugin(['--kubeconfig', refused, 'logs', 'x']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `The connection to the server 127.0.0.1:${port} was refused - did you specify the right host or port?\n`);
  });

  it('kubectl finds the plugin on PATH: `kubectl actions run … --wait` and `kubectl plugin list`', async () => {
    const bin = await mkdtemp(path.join(os.tmpdir(), 'kubectl-actions-bin-'));
    try {
      await chmod(PLUGIN, 0o755);
      await symlink(PLUGIN, path.join(bin, 'kubectl-actions'));
      const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, KUBECONFIG: server.kubeconfig, HOME: server.dataDir };
      const kubectl = (args: string[], input: string): Promise<CommandResult> => new Promise((resolve) => {
        const child = execFile('kubectl', args, { env, timeout: 60_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
        child.stdin?.end(input);
      });
      const list = await kubectl(['plugin', 'list'], '');
      assert.ok(list.stdout.includes(path.join(bin, 'kubectl-actions')), list.stdout + list.stderr);
      const r = await kubectl(['actions', 'run', '-n', NS, '-f', '-', '--param', 'WHO=kubectl', '--follow', '--wait'],
        manifest('via-kubectl-', [{ name: 'a', run: 'echo "hi $PARAM_WHO"' }]));
      assert.equal(r.code, 0, r.stderr);
      const name = createdName(r.stdout);
      assert.equal(r.stdout, `workflowrun.kubeactions.dev/${name} created\nhi kubectl\n`);
      const missing = await kubectl(['actions', 'logs', '-n', NS, 'nope'], '');
      assert.equal(missing.code, 1);
      assert.equal(missing.stderr, NOT_FOUND('nope'));
    } finally {
      await rm(bin, { recursive: true, force: true });
    }
  });

  it('exec: output on stdout/stderr, the remote exit code as its own, stdin with -i', async () => {
    const name = await sleeper('exec-');
    const r = await plugin(['exec', '-n', NS, name, '--', 'sh', '-c', 'echo "out $KUBEACTIONS_RUN"; echo err >&2; exit 42']);
    assert.equal(r.code, 42);
    assert.equal(r.stdout, `out ${name}\n`);
    assert.equal(r.stderr, 'err\ncommand terminated with exit code 42\n');
    const ok = await plugin(['exec', '-n', NS, name, '--', 'true']);
    assert.deepEqual([ok.code, ok.stdout, ok.stderr], [0, '', '']);
    const piped = await plugin(['exec', '-i', '-n', NS, name, '--', 'sh', '-c', 'tr a-z A-Z; echo done'], { input: 'some input\nmore\n' });
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stdout, 'SOME INPUT\nMORE\ndone\n');
    const noTty = await plugin(['exec', '-it', '-n', NS, name, '--', 'sh', '-c', 'test -t 0 || echo "no tty"'], { input: '' });
    assert.equal(noTty.code, 0, noTty.stderr);
    assert.equal(noTty.stdout, 'no tty\n');
    assert.equal(noTty.stderr, 'Unable to use a TTY - input is not a terminal or the right kind of file\n');
    const missing = await plugin(['exec', '-n', NS, name, '--', 'no-such-command-h8']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: Internal error occurred: .*no-such-command-h8/);
  });

  it('exec -it in a terminal: a remote TTY in raw mode, its size at the start and after a resize', async () => {
    const name = await sleeper('tty-');
    const waitSize = (size: string): string => `until [ "$(stty size)" = "${size}" ]; do sleep 0.1; done`;
    const remote = `[ -t 0 ] && echo "remote tty"; ${waitSize('45 123')}; echo sized; ${waitSize('33 99')}; echo resized; exit 7`;
    const inner = `tty; stty cols 123 rows 45; ${process.execPath} ${PLUGIN} --kubeconfig ${server.kubeconfig} exec -it -n ${NS} ${name} -- sh -c '${remote}'; echo "code=$?"`;
    const child = spawn('script', ['-qec', inner, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, HOME: server.dataDir } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve, reject) => {
      child.once('error', (err) => reject(new Error(`the \`script\` command (util-linux) is needed for this test: ${err.message}`)));
      child.once('exit', resolve);
    });
    const expectOutput = async (text: string, what: string): Promise<void> => {
      try {
        await waitFor(() => out.includes(text), { timeoutMs: 20_000, message: what });
      } catch (err) {
        throw new Error(`${(err as Error).message}; output so far: ${JSON.stringify(out)}`);
      }
    };
    try {
      await expectOutput('sized\r\n', 'the remote terminal to get the local size, 45 rows and 123 columns');
      const pts = /\/dev\/pts\/\d+/.exec(out)?.[0];
      assert.ok(pts, out);
      await new Promise<void>((resolve, reject) => execFile('stty', ['-F', pts, 'cols', '99', 'rows', '33'], (err) => (err ? reject(err) : resolve())));
      await expectOutput('code=7', 'the remote terminal to follow the resize and the session to end');
      assert.equal(await exited, 0);
      const text = out.replace(/\0/g, '');
      assert.match(text, /^remote tty\r\nsized\r\nresized\r\ncommand terminated with exit code 7\r\ncode=7\r\n$/m);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('attach -i: writes to the running step\'s stdin, prints its output, exits with its exit code', async () => {
    const created = await plugin(['run', '-f', '-'], {
      input: manifest('attach-', [{ name: 's', stdin: true, run: 'echo ready; while read l; do [ "$l" = quit ] && exit 3; echo "got $l"; done' }]),
    });
    const name = createdName(created.stdout);
    await waitFor(async () => (await runs.log(NS, name)).body.includes('ready'), { timeoutMs: 20_000, intervalMs: 50, message: `${name} to be ready` });
    const r = await plugin(['attach', '-i', '-n', NS, name], { input: 'one\ntwo\nquit\n' });
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'got one\ngot two\n');
    assert.equal(r.stderr, 'command terminated with exit code 3\n');
    await runs.untilPhase(NS, name, ['Failed']);
    const refused = await plugin(['attach', '-i', '-n', NS, name]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^Error from server \(BadRequest\): cannot attach into workflowrun ".+": it is Failed, not Running\n$/);
  });
});
