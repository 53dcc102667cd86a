// The soak benchmark in its short CI form: the built bench (dist/bench/main.js) starts Redis,
// two `kube-actions apiserver` and two `kube-actions worker` processes, keeps 200 watches open
// and runs its mix for 8 s. It must exit 0, with no errors, every verb done, and memory within
// its bounds.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { VerbSummary } from '../../bench/soak/results.js';

const BENCH_MAIN = fileURLToPath(new URL('../../bench/main.js', import.meta.url));
const BENCH_TIMEOUT_MS = 240_000;
const VERBS = ['create', 'get', 'list', 'log', 'exec', 'delete', 'watch'];


interface BenchDoc {
  scenarios: string[];
  results: { scenario: string; metric: string; ours: number; met?: boolean; note?: string }[];
  details: { soak?: { seconds: number; watches: number; verbs: Record<string, VerbSummary> } };
}

/** Runs the bench; resolves with its exit code and output whatever the code. */
function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BENCH_MAIN, ...args], { timeout: BENCH_TIMEOUT_MS, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run bench -- soak, CI form (8 s, 200 watches)', { timeout: BENCH_TIMEOUT_MS + 30_000 }, () => {
  let dir: string;
  let run: { code: number | null; stdout: string; stderr: string };
  let doc: BenchDoc | undefined;

  /** The JSON document, failing with the bench's output when it wrote none. */
  const results = (): BenchDoc => {
    assert.ok(doc, `the bench wrote no JSON results (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
    return doc;
  };

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kube-actions-soak-test-'));
    const out = path.join(dir, 'soak.json');
    run = await runBench(['soak', '--duration', '8', '--watches', '200', '--out', out]);
    doc = await readFile(out, 'utf8').then((text) => JSON.parse(text) as BenchDoc, () => undefined);
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('exits 0 and prints the soak table', () => {
    assert.equal(run.code, 0, `bench exited with ${run.code}:\n${run.stdout}\n${run.stderr}`);
    assert.deepEqual(results().scenarios, ['soak'], 'the positional argument selects the soak alone');
    assert.match(run.stdout, /^soak\s+create: throughput \(\/s\)/m);
  });

  it('every verb was done, with zero errors', () => {
    const soak = results().details.soak;
    assert.ok(soak, 'the JSON has details.soak');
    assert.equal(soak.watches, 200);
    assert.ok(soak.seconds >= 8, `measured ${soak.seconds} s`);
    for (const verb of VERBS) {
      const v: VerbSummary | undefined = soak.verbs[verb];
      assert.ok(v, `verb ${verb} is reported`);
      assert.ok(v.count > 0, `${verb}: count ${v.count}`);
      assert.ok(Number.isFinite(v.p50) && Number.isFinite(v.p99) && Number.isFinite(v.p999), `${verb}: latencies ${JSON.stringify(v)}`);
      assert.equal(v.errors, 0, `${verb}: errors ${v.firstErrors.join(' | ')}`);
    }
  });

  it('meets every target of the soak (errors, memory bounds, no server exited)', () => {
    const rows = results().results.filter((r) => r.scenario === 'soak');
    const missed = rows.filter((r) => r.met === false);
    assert.deepEqual(missed, [], 'rows that missed their target');
    assert.ok(rows.some((r) => r.metric.endsWith('heap used growth') && r.met === true), 'memory growth is checked');
  });
});
