// Human-readable ages for Table cells: k8s.io/apimachinery/pkg/util/duration (HumanDuration,
// ShortHumanDuration) and the `date` column rendering of apiextensions' tableconvertor
// (cellForJSONValue → metatable.ConvertToHumanReadableDateType). Durations are milliseconds.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Go's `int(d / unit)`: integer division truncating toward zero. */
const whole = (ms: number, unit: number): number => Math.trunc(ms / unit);

/** Go's `ShortHumanDuration`: one unit (`45s`, `3m`, `5h`, `12d`, `2y`); `<invalid>` below -1s. */
export function shortHumanDuration(ms: number): string {
  const seconds = whole(ms, SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60) return `${seconds}s`;
  const minutes = whole(ms, MINUTE);
  if (minutes < 60) return `${minutes}m`;
  const hours = whole(ms, HOUR);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${Math.trunc(hours / 24)}d`;
  return `${Math.trunc(ms / HOUR / 24 / 365)}y`;
}

/** Go's `HumanDuration`: about 2–3 significant figures (`90s`, `5m12s`, `3h4m`, `4d2h`, `3y45d`). */
export function humanDuration(ms: number): string {
  const seconds = whole(ms, SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = whole(ms, MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = whole(ms, HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const dy = days % 365;
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${years}y`;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/;

/** Epoch milliseconds of a UTC calendar time; unlike `Date.UTC`, years 0–99 are not moved to 19xx. */
function utcMillis(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

/** Go's `time.Parse(time.RFC3339, s)` as epoch milliseconds; undefined when Go would fail. */
export function parseRFC3339(s: string): number | undefined {
  const m = RFC3339.exec(s);
  if (m === null) return undefined;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = m.slice(1, 7).map(Number);
  const offsetH = Number(m[10] ?? 0);
  const offsetM = Number(m[11] ?? 0);
  if (hour > 23 || minute > 59 || second > 59 || offsetH > 23 || offsetM > 59) return undefined;
  const utc = utcMillis(year, month, day, hour, minute, second);
  const check = new Date(utc);
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
  const offset = (m[9] === '-' ? -1 : 1) * (offsetH * HOUR + offsetM * MINUTE);
  const fraction = Number(`0.${m[7] ?? '0'}`) * SECOND;
  return utc - offset + fraction;
}

/** Year 1, January 1, 00:00:00 UTC — Go's zero `time.Time`. */
const GO_ZERO_TIME = utcMillis(1, 1, 1);

/**
 * The cell of a `date` printer column: the age of `timestamp` at `now` (epoch ms) as
 * `HumanDuration`; `<unknown>` when missing, empty, `null` or the zero time; `<invalid>` when it
 * is not RFC 3339 (what apiextensions' table convertor shows).
 */
export function convertToHumanReadableDateType(timestamp: string | undefined, now: number): string {
  if (timestamp === undefined || timestamp === '' || timestamp === 'null') return '<unknown>';
  const t = parseRFC3339(timestamp);
  if (t === undefined) return '<invalid>';
  if (t === GO_ZERO_TIME) return '<unknown>';
  return humanDuration(now - t);
}
