// Go's fmt/strconv renderings that Kubernetes bakes into its messages (%q, %v, %#v), so that
// the texts we produce are byte-for-byte what the Go apiserver writes.

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

const SHORT_ESCAPES: Readonly<Record<number, string>> = {
  0x07: '\\a',
  0x08: '\\b',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x0b: '\\v',
};

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space. */
function isGoPrintable(codePoint: number): boolean {
  return codePoint === 0x20 || PRINTABLE.test(String.fromCodePoint(codePoint));
}

function escapeRune(cp: number): string {
  if (cp === 0x22) return '\\"';
  if (cp === 0x5c) return '\\\\';
  if (cp >= 0xd800 && cp <= 0xdfff) return '\\ufffd';
  if (isGoPrintable(cp)) return String.fromCodePoint(cp);
  const short = SHORT_ESCAPES[cp];
  if (short !== undefined) return short;
  if (cp < 0x20 || cp === 0x7f) return `\\x${hex(cp, 2)}`;
  if (cp < 0x10000) return `\\u${hex(cp, 4)}`;
  return `\\U${hex(cp, 8)}`;
}

/** Go's `strconv.Quote` (and so `%q` of a string). Lone surrogates are rendered as `\ufffd`. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) out += escapeRune(ch.codePointAt(0) ?? 0);
  return out + '"';
}

/** Go's `%v` of a float64: shortest representation, exponent form below 1e-4 and from 1e6. */
export function goFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const [mantissa = '', exponent = '0'] = f.toExponential().split('e');
  const exp = Number(exponent);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(f);
}

/** Go's `%v` of a JSON number: integers print as int64, others as float64. */
export function goNumber(n: number): string {
  return Number.isInteger(n) ? (Object.is(n, -0) ? '0' : String(n)) : goFloat(n);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Go's `%#v` of a JSON-like value, as Go would hold it: a string array is `[]string{"a", "b"}`,
 * any other array `[]interface {}{…}`, an object `map[string]interface {}{"k":v}` (sorted keys),
 * null `interface {}(nil)`.
 */
export function goSyntax(v: unknown): string {
  if (v === null || v === undefined) return 'interface {}(nil)';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) {
    const items = v.map(goSyntax).join(', ');
    return v.every((x) => typeof x === 'string') ? `[]string{${items}}` : `[]interface {}{${items}}`;
  }
  if (isPlainObject(v)) {
    const entries = Object.keys(v)
      .sort()
      .map((k) => `${goQuote(k)}:${goSyntax(v[k])}`);
    return `map[string]interface {}{${entries.join(', ')}}`;
  }
  return String(v);
}
