// Path patterns as k8s.io/apiserver's path authorizer (pkg/authorization/path) and RBAC's
// nonResourceURLs read them: an exact path, or a prefix ending in `*`; `*` alone is every path.

/** A set of path patterns; the leading `/` is optional on both sides, as in Go. */
export class PathMatcher {
  readonly #exact = new Set<string>();
  readonly #prefixes: string[] = [];

  /** Throws an Error for a `*` anywhere but at the end of a pattern. */
  constructor(readonly patterns: readonly string[]) {
    for (const raw of patterns) {
      const p = raw.replace(/^\//, '');
      if (p.slice(0, -1).includes('*')) throw new Error(`only trailing * allowed in ${JSON.stringify(raw)}`);
      if (p.endsWith('*')) this.#prefixes.push(p.slice(0, -1));
      else this.#exact.add(p);
    }
  }

  /** Whether `path` (the decoded URL path, without query) is covered by a pattern. */
  matches(path: string): boolean {
    const p = path.replace(/^\//, '');
    return this.#exact.has(p) || this.#prefixes.some((prefix) => p.startsWith(prefix));
  }
}
