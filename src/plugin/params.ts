// --param KEY=VALUE flags (repeatable), as kubectl's --overrides-style key=value pairs.

/**
 * A commander argument collector for a repeatable `--param KEY=VALUE`: checks the pair and
 * returns `previous` with it appended. Throws when there is no `=` or the key is empty.
 */
export function collectParam(value: string, previous: string[] = []): string[] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new Error(`invalid --param "${value}": expected KEY=VALUE`);
  return [...previous, value];
}

/** The pairs as a map; a later key wins; the value is everything after the first `=`. */
export function parseParams(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}
