// Go's time.ParseDuration, for flags such as --timeout 10m and --since 1h30m.

const UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const TERM = /([0-9]*(?:\.[0-9]*)?)([a-zµμ]+)/gy;

/**
 * Parses a Go duration (`300ms`, `1.5h`, `2h45m`, `0`) into milliseconds. Throws an Error with
 * Go's message (`time: invalid duration "x"`, `time: unknown unit "d" in duration "1d"`,
 * `time: missing unit in duration "10"`) for anything Go would refuse.
 */
export function parseDuration(text: string): number {
  const invalid = (): Error => new Error(`time: invalid duration "${text}"`);
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s.startsWith('-') ? -1 : 1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  if (/^[0-9.]+$/.test(s)) throw new Error(`time: missing unit in duration "${text}"`);
  let total = 0;
  TERM.lastIndex = 0;
  let at = 0;
  for (let m = TERM.exec(s); m !== null && at < s.length; m = TERM.exec(s)) {
    const [whole, num = '', unit = ''] = m;
    if (num === '' || num === '.') throw invalid();
    const factor = UNITS[unit];
    if (factor === undefined) throw new Error(`time: unknown unit "${unit}" in duration "${text}"`);
    total += Number(num) * factor;
    at += whole.length;
  }
  if (at !== s.length) throw invalid();
  return sign * total;
}

/** A short human duration for tables: `0s`, `42s`, `3m7s`, `2h5m`, `3d4h`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${m % 60}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}
