// list: a full list (no limit) and a paged traversal (limit=500) of many runs, next to a koa +
// @koa/router handler reading the same records straight from Redis; alternating repetitions.
import { RUNS_PATH, runBody } from '../api.js';
import { monoMs } from '../clock.js';
import type { Scenario } from '../context.js';
import { type HttpTarget, request } from '../http.js';
import { closedLoop } from '../load.js';
import { below, type Row, row } from '../report.js';
import { median } from '../stats.js';

const PAGE = 500;

interface ListPage {
  metadata: { continue?: string };
  items: unknown[];
}

/** GETs one list page; returns its items count, continue token and time. */
async function getPage(t: HttpTarget, query: string): Promise<{ items: number; next: string; ms: number }> {
  const t0 = monoMs();
  const res = await request(t, 'GET', `${RUNS_PATH}${query}`);
  const ms = monoMs() - t0;
  if (res.status !== 200) throw new Error(`GET ${RUNS_PATH}${query}: HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`);
  const list = JSON.parse(res.body.toString('utf8')) as ListPage;
  return { items: list.items.length, next: list.metadata.continue ?? '', ms };
}

/** Time of a full list, checking it returned `expected` items. */
async function fullList(t: HttpTarget, expected: number): Promise<number> {
  const page = await getPage(t, '');
  if (page.items !== expected) throw new Error(`full list returned ${page.items} items, expected ${expected}`);
  return page.ms;
}

/** Time of all pages of limit=500 (client parsing excluded), checking the item total. */
async function pagedList(t: HttpTarget, expected: number): Promise<{ total: number; pages: number[] }> {
  const pages: number[] = [];
  let items = 0;
  let next = '';
  do {
    const page = await getPage(t, `?limit=${PAGE}${next ? `&continue=${encodeURIComponent(next)}` : ''}`);
    pages.push(page.ms);
    items += page.items;
    next = page.next;
  } while (next);
  if (items !== expected) throw new Error(`paged list returned ${items} items, expected ${expected}`);
  return { total: pages.reduce((a, b) => a + b, 0), pages };
}

async function seed(api: HttpTarget, count: number): Promise<number> {
  const result = await closedLoop({
    concurrency: 64, count,
    op: async (i) => {
      const res = await request(api, 'POST', RUNS_PATH, runBody(`list-${String(i).padStart(6, '0')}`));
      return res.status === 201 ? undefined : `HTTP ${res.status}`;
    },
  });
  if (result.errors > 0) throw new Error(`seeding ${count} runs: ${result.errors} creates failed, first: ${result.firstError ?? ''}`);
  return result.elapsedMs;
}

/** full and paged list of many runs vs koa + @koa/router over the same records. */
export const listScenario: Scenario = {
  name: 'list',
  async run(ctx): Promise<Row[]> {
    const n = ctx.sizes.listRuns;
    await ctx.flush();
    const m = await ctx.withChild(async (child) => {
      const api = ctx.target((await child.send({ cmd: 'apiserver' })).port, 64);
      const koa = ctx.target((await child.send({ cmd: 'koa-list' })).port, 1, false);
      try {
        const seedMs = await seed(api, n);
        const r = { seedMs, full: { ours: [] as number[], raw: [] as number[] }, paged: { ours: [] as number[], raw: [] as number[] }, pageOurs: [] as number[], pageRaw: [] as number[] };
        await fullList(api, n);
        await fullList(koa, n);
        for (let i = 0; i < ctx.sizes.listRepetitions; i++) {
          r.full.ours.push(await fullList(api, n));
          r.full.raw.push(await fullList(koa, n));
          const po = await pagedList(api, n);
          const pr = await pagedList(koa, n);
          r.paged.ours.push(po.total);
          r.paged.raw.push(pr.total);
          r.pageOurs.push(...po.pages);
          r.pageRaw.push(...pr.pages);
        }
        return r;
      } finally {
        api.agent.destroy();
        koa.agent.destroy();
      }
    });
    await ctx.flush();
    const label = `${n.toLocaleString('en-US')} runs`;
    const note = `p50 of ${ctx.sizes.listRepetitions} repetitions; raw = koa + @koa/router reading the same records from Redis (ZRANGE BYLEX + pipelined HGET); `
      + `target = kube-apiserver + etcd serving a CRD (DESIGN §7); seeding ${label} over HTTPS at c=64 took ${Math.round(m.seedMs)} ms`;
    return [
      row('list', `${label}: full list`, 'ms', median(m.full.ours), { raw: median(m.full.raw), target: below(2200, 'ms'), note }),
      row('list', `${label}: all pages, limit=${PAGE}`, 'ms', median(m.paged.ours), { raw: median(m.paged.raw) }),
      row('list', `${label}: one page, limit=${PAGE}`, 'ms', median(m.pageOurs), { raw: median(m.pageRaw) }),
    ];
  },
};
