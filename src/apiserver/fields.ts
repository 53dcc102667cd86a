// Field selectors: a port of k8s.io/apimachinery/pkg/fields/selector.go (`=`, `==`, `!=`, terms
// separated by `,`, values escaped with `\`), plus the apiserver's check of the field names
// (`DefaultMetaV1FieldSelectorConversion`, pkg/runtime/conversion.go).
import { newBadRequest } from './errors.js';
import { goQuote } from './go-format.js';

/** One `field=value` or `field!=value` term. */
export interface FieldRequirement {
  readonly field: string;
  /** `==` is parsed as `=`. */
  readonly operator: '=' | '!=';
  readonly value: string;
}

/** A parsed field selector: the AND of its requirements, in Go's (sorted-term) order. */
export interface FieldSelector {
  /** True when it selects everything (no requirements). */
  readonly empty: boolean;
  readonly requirements: readonly FieldRequirement[];
  /** A missing field reads as the empty string, as Go's `Fields.Get` does. */
  matches(fields: Readonly<Record<string, string>>): boolean;
  /** The value of the first `=` requirement on `field` (Go's `RequiresExactMatch`). */
  exactValue(field: string): string | undefined;
  /** Go's `String()`: terms joined by `,` with values escaped. */
  toString(): string;
}

/** Go's `EscapeValue`: `\` → `\\`, `,` → `\,`, `=` → `\=`. */
export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** Go's `UnescapeValue`; throws with Go's message on a bad escape or an unescaped `,`/`=`. */
export function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') {
        throw new Error(`invalid field selector: invalid escape sequence: \\${c}`);
      }
      out += c;
      inSlash = false;
    } else if (c === '\\') {
      inSlash = true;
    } else if (c === ',' || c === '=') {
      throw new Error(`invalid field selector: unescaped character in value: ${c.codePointAt(0) ?? 0}`);
    } else {
      out += c;
    }
  }
  if (inSlash) throw new Error('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** Go's `splitTerms`: split on commas not preceded by an escaping backslash. */
function splitTerms(s: string): string[] {
  if (s === '') return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

const TERM_OPERATORS = ['!=', '==', '='] as const;

/** Go's `splitTerm`: the first operator occurrence splits field from (still escaped) value. */
function splitTerm(term: string): [string, (typeof TERM_OPERATORS)[number], string] | undefined {
  for (let i = 0; i < term.length; i++) {
    const op = TERM_OPERATORS.find((o) => term.startsWith(o, i));
    if (op !== undefined) return [term.slice(0, i), op, term.slice(i + op.length)];
  }
  return undefined;
}

function parseTerms(selector: string): FieldRequirement[] {
  const requirements: FieldRequirement[] = [];
  for (const part of splitTerms(selector).sort()) {
    if (part === '') continue;
    const split = splitTerm(part);
    if (split === undefined) throw new Error(`invalid selector: '${selector}'; can't understand '${part}'`);
    const [field, op, rawValue] = split;
    requirements.push({ field, operator: op === '!=' ? '!=' : '=', value: unescapeFieldValue(rawValue) });
  }
  return requirements;
}

function selectorOf(requirements: FieldRequirement[]): FieldSelector {
  return {
    empty: requirements.length === 0,
    requirements,
    matches: (fields) =>
      requirements.every((r) => ((fields[r.field] ?? '') === r.value) === (r.operator === '=')),
    exactValue: (field) => requirements.find((r) => r.field === field && r.operator === '=')?.value,
    toString: () => requirements.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(','),
  };
}

/**
 * Parses a `fieldSelector` query value (Go's `fields.ParseSelector`) and, when `allowedFields` is
 * given, rejects other field names as the apiserver does:
 * `"spec.x" is not a known field selector: only "metadata.name", "metadata.namespace"`.
 * Throws a 400 BadRequest StatusError carrying Go's message.
 */
export function parseFieldSelector(s: string, allowedFields?: readonly string[]): FieldSelector {
  let requirements: FieldRequirement[];
  try {
    requirements = parseTerms(s);
  } catch (e) {
    throw newBadRequest((e as Error).message);
  }
  if (allowedFields !== undefined) {
    const unknown = requirements.find((r) => !allowedFields.includes(r.field));
    if (unknown !== undefined) {
      const only = allowedFields.map(goQuote).join(', ');
      throw newBadRequest(`${goQuote(unknown.field)} is not a known field selector: only ${only}`);
    }
  }
  return selectorOf(requirements);
}
