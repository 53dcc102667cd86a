// `npm run bench`: measures kube-actions next to the raw stack (BullMQ, koa, node:https) in the
// same run, prints a table of figures and ratios, and writes them as JSON. See DESIGN.md §7.
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { monoMs } from './clock.js';
import { BenchContext, type Scenario } from './context.js';
import { type BenchOptions, parseOptions, type ScenarioName, USAGE } from './options.js';
import { failed, formatTable, type Row } from './report.js';
import { createScenario } from './scenarios/create.js';
import { execScenario } from './scenarios/exec.js';
import { getScenario } from './scenarios/get.js';
import { latencyScenario } from './scenarios/latency.js';
import { listScenario } from './scenarios/list.js';
import { logScenario } from './scenarios/log.js';
import { soakScenario } from './scenarios/soak.js';
import { watchScenario } from './scenarios/watch.js';

const SCENARIOS: Record<ScenarioName, Scenario> = {
  create: createScenario, get: getScenario, latency: latencyScenario, watch: watchScenario, list: listScenario,
  log: logScenario, exec: execScenario, soak: soakScenario,
};

/** Whether the run failed: a measurement could not be made, or a strict scenario missed a target. */
function isFailure(r: Row): boolean {
  return r.metric === 'error' || (SCENARIOS[r.scenario as ScenarioName]?.strict === true && r.met === false);
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

async function runAll(ctx: BenchContext, opts: BenchOptions): Promise<{ rows: Row[]; seconds: Record<string, number> }> {
  const rows: Row[] = [];
  const seconds: Record<string, number> = {};
  for (const name of opts.only) {
    log(`bench: ${name} …`);
    const t0 = monoMs();
    try {
      rows.push(...(await SCENARIOS[name].run(ctx)));
    } catch (err) {
      rows.push(failed(name, 'error', err instanceof Error ? err.message : String(err)));
      await ctx.flush().catch(() => undefined);
    }
    seconds[name] = Math.round(monoMs() - t0) / 1000;
    log(`bench: ${name} took ${seconds[name]} s`);
  }
  return { rows, seconds };
}

async function main(): Promise<number> {
  let opts: BenchOptions | 'help';
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    log(err instanceof Error ? err.message : String(err));
    return 2;
  }
  if (opts === 'help') {
    log(USAGE);
    return 0;
  }
  const started = new Date();
  const ctx = await BenchContext.create(opts.sizes, opts.aof, opts.profileDir);
  try {
    const machine = {
      cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '', memoryMiB: Math.round(os.totalmem() / 2 ** 20),
      platform: `${os.platform()} ${os.release()}`, node: process.version, redis: await ctx.redisVersion(), redisAof: opts.aof,
    };
    log(`bench: ${machine.cpus} CPUs, node ${machine.node}, redis ${machine.redis}${opts.aof ? ' (AOF everysec)' : ''}${opts.quick ? ', quick' : ''}`);
    const { rows, seconds } = await runAll(ctx, opts);
    process.stdout.write(`${formatTable(rows)}\n`);
    const doc = {
      startedAt: started.toISOString(), quick: opts.quick, scenarios: opts.only, sizes: opts.sizes, machine, seconds, results: rows,
      details: ctx.details,
    };
    await writeFile(opts.out, `${JSON.stringify(doc, null, 2)}\n`);
    log(`bench: results written to ${opts.out}`);
    return rows.some(isFailure) ? 1 : 0;
  } finally {
    await ctx.close();
  }
}

process.exitCode = await main();
