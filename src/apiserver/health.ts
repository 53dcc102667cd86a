// /healthz, /livez, /readyz with ?verbose, ?exclude= and per-check paths
// (k8s.io/apiserver pkg/server/healthz/healthz.go).
import type Router from '@koa/router';
import type { Context } from 'koa';

export interface HealthCheck {
  name: string;
  /** Which endpoints run it. */
  on: ReadonlyArray<'healthz' | 'livez' | 'readyz'>;
  check(): Promise<void>;
}

function text(ctx: Context, code: number, body: string): void {
  ctx.status = code;
  ctx.type = 'text/plain; charset=utf-8';
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.body = body;
}

export function healthRoutes(router: Router, checks: HealthCheck[]): void {
  for (const endpoint of ['healthz', 'livez', 'readyz'] as const) {
    const mine = [{ name: 'ping', on: [endpoint], check: () => Promise.resolve() }, ...checks.filter((c) => c.on.includes(endpoint))];
    router.get(`/${endpoint}`, async (ctx) => {
      const q = new URLSearchParams(ctx.querystring);
      const excluded = new Set(q.getAll('exclude'));
      const lines: string[] = [];
      let failed = false;
      for (const c of mine) {
        if (excluded.has(c.name)) {
          lines.push(`[+]${c.name} excluded: ok`);
          continue;
        }
        const ok = await c.check().then(() => true, () => false);
        failed ||= !ok;
        lines.push(ok ? `[+]${c.name} ok` : `[-]${c.name} failed: reason withheld`);
      }
      if (failed) text(ctx, 500, `${lines.join('\n')}\n${endpoint} check failed\n`);
      else if (q.has('verbose')) text(ctx, 200, `${lines.join('\n')}\n${endpoint} check passed\n`);
      else text(ctx, 200, 'ok');
    });
    router.get(`/${endpoint}/:check`, async (ctx) => {
      const c = mine.find((x) => x.name === ctx.params.check);
      if (!c) return text(ctx, 404, '404 page not found\n');
      const ok = await c.check().then(() => true, () => false);
      text(ctx, ok ? 200 : 500, ok ? 'ok' : `internal server error: ${c.name} check failed\n`);
    });
  }
}
