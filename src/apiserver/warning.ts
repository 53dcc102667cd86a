// `Warning` response headers: NewWarningHeader (k8s.io/apimachinery/pkg/util/net/http.go) and
// the de-duplicating, truncating recorder of k8s.io/apiserver/pkg/endpoints/filters/warning.go.

const CONTROL = /\p{Cc}/u;
const LONE_SURROGATE = /\p{Cs}/u;

/** Truncation limits, in runes (Unicode code points). */
export interface WarningLimits {
  /** Once the warnings' texts exceed this many runes in total, truncation starts. */
  total: number;
  /** While truncating, each text is cut to this many runes. */
  item: number;
}

/** The apiserver's limits: 4096 runes in total, 256 per item once over. */
export const DEFAULT_WARNING_LIMITS: WarningLimits = { total: 4 * 1024, item: 256 };

/**
 * One `Warning` header value, `299 - "<text>"`, with `"` and `\` backslash-escaped and everything
 * else (including non-ASCII) as is. Throws for text Go rejects: control characters or invalid
 * UTF-16 (Go: invalid UTF-8). Non-ASCII must reach the wire as UTF-8 bytes
 * (`Buffer.from(v, 'utf8').toString('latin1')` for Node's header API).
 */
export function warningHeaderValue(text: string): string {
  if (CONTROL.test(text) || LONE_SURROGATE.test(text)) {
    throw new Error('text must be valid UTF-8 and must not contain control characters');
  }
  return `299 - "${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function headerOrUndefined(text: string): string | undefined {
  try {
    return warningHeaderValue(text);
  } catch {
    return undefined;
  }
}

const runes = (s: string): string[] => [...s];

/** The text cut to `max` runes, and its length in runes. */
function truncated(text: string, max: number): [string, number] {
  const r = runes(text);
  return r.length > max ? [r.slice(0, max).join(''), max] : [text, r.length];
}

/**
 * The `Warning` header values for warnings added in this order, as the apiserver's recorder
 * emits them: empty and repeated texts are dropped, unencodable ones skipped; when the total
 * would pass `limits.total` runes, every warning so far is re-emitted cut to `limits.item` runes,
 * later ones are cut too, and once the total is reached again the rest are dropped.
 */
export function collectWarnings(texts: readonly string[], limits: WarningLimits = DEFAULT_WARNING_LIMITS): string[] {
  const recorded = new Set<string>();
  const ordered: string[] = [];
  let headers: string[] = [];
  let written = 0;
  let truncating = false;
  for (const original of texts) {
    if (original === '' || (truncating && written >= limits.total) || recorded.has(original)) continue;
    recorded.add(original);
    ordered.push(original);
    const [text, length] = truncating ? truncated(original, limits.item) : [original, runes(original).length];
    const header = headerOrUndefined(text);
    if (header === undefined) continue;
    if (truncating || written + length <= limits.total) {
      written += length;
      headers.push(header);
      continue;
    }
    truncating = true;
    written = 0;
    headers = [];
    for (const earlier of ordered) {
      const [cut, cutLength] = truncated(earlier, limits.item);
      const replayed = headerOrUndefined(cut);
      if (replayed === undefined) continue;
      written += cutLength;
      headers.push(replayed);
    }
  }
  return headers;
}
