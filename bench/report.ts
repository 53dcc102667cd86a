// Result rows, their targets, the printed table and the JSON document.

/** What a figure should reach; `check` gets ours and ours/raw. */
export interface Target {
  text: string;
  check(ours: number, ratio: number | undefined): boolean;
}

/** ours ≥ n */
export function atLeast(n: number, unit: string): Target {
  return { text: `≥ ${formatNumber(n)} ${unit}`, check: (ours) => ours >= n };
}

/** ours < n */
export function below(n: number, unit: string): Target {
  return { text: `< ${formatNumber(n)} ${unit}`, check: (ours) => ours < n };
}

/** ours ≤ n */
export function atMost(n: number, unit: string): Target {
  return { text: `≤ ${formatNumber(n)} ${unit}`, check: (ours) => ours <= n };
}

/** ours/raw ≥ x */
export function ratioAtLeast(x: number): Target {
  return { text: `ratio ≥ ${x}`, check: (_ours, ratio) => ratio !== undefined && ratio >= x };
}

/** One measured figure; `ratio` is ours/raw. */
export interface Row {
  scenario: string;
  metric: string;
  unit: string;
  ours: number;
  raw?: number;
  ratio?: number;
  target?: string;
  met?: boolean;
  note?: string;
}

/** Builds a row, computing the ratio and whether the target is met. */
export function row(
  scenario: string, metric: string, unit: string, ours: number,
  more: { raw?: number; target?: Target; note?: string } = {},
): Row {
  const ratio = more.raw !== undefined && more.raw !== 0 && Number.isFinite(more.raw) && Number.isFinite(ours) ? ours / more.raw : undefined;
  return {
    scenario, metric, unit, ours,
    ...(more.raw !== undefined ? { raw: more.raw } : {}),
    ...(ratio !== undefined ? { ratio } : {}),
    ...(more.target ? { target: more.target.text, met: more.target.check(ours, ratio) } : {}),
    ...(more.note ? { note: more.note } : {}),
  };
}

/** A row standing for a measurement that could not be made, with the reason. */
export function failed(scenario: string, metric: string, message: string): Row {
  return { scenario, metric, unit: '', ours: Number.NaN, note: `FAILED: ${message}` };
}

/** Rounds for display: integers with separators from 100 up, else 3 significant digits. */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return '—';
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return Number(n.toPrecision(3)).toString();
}

/** The rows as an aligned plain-text table, with notes listed under it. */
export function formatTable(rows: readonly Row[]): string {
  const header = ['scenario', 'metric', 'ours', 'raw', 'ratio', 'target', 'met'];
  const notes: string[] = [];
  const body = rows.map((r) => {
    let metric = r.unit ? `${r.metric} (${r.unit})` : r.metric;
    if (r.note) {
      notes.push(r.note);
      metric += ` [${notes.length}]`;
    }
    return [
      r.scenario, metric, formatNumber(r.ours), r.raw === undefined ? '' : formatNumber(r.raw),
      r.ratio === undefined ? '' : r.ratio.toFixed(2), r.target ?? '', r.met === undefined ? '' : r.met ? 'yes' : 'NO',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => (cells[i] ?? '').length)));
  const numeric = new Set([2, 3, 4]);
  const line = (cells: string[]): string =>
    cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  notes.forEach((n, i) => out.push(`[${i + 1}] ${n}`));
  return out.join('\n');
}
