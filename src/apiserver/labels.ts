// Label selectors: a port of k8s.io/apimachinery/pkg/labels/selector.go (lexer, recursive-descent
// parser, requirements, matching), with Go's parse error texts.
import { newBadRequest } from './errors.js';
import { fieldErrorsText, invalid } from './field-errors.js';
import type { FieldError } from './field-errors.js';
import { lexLabelSelector, Token } from './label-lexer.js';
import type { ScannedItem } from './label-lexer.js';
import { isQualifiedName, isValidLabelValue, parseInt64 } from './validation.js';

/** Go's `selection.Operator` values that a label selector can carry. */
export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

/** One parsed requirement; `values` are sorted and unique, empty for `exists` and `!`. */
export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  readonly values: readonly string[];
}

/** A parsed label selector: the AND of its requirements (sorted by key). */
export interface LabelSelector {
  /** True when it selects everything (no requirements). */
  readonly empty: boolean;
  readonly requirements: readonly LabelRequirement[];
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  /** Go's canonical `String()`, e.g. `app=web,tier in (a,b),!canary`. */
  toString(): string;
}

/**
 * Go's `NewRequirement` value checks, reported with the nil-path field names Go uses (the key
 * was already checked by the parser).
 */
function requirement(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
  const errs: FieldError[] = [];
  if (operator === 'gt' || operator === 'lt') {
    values.forEach((v, i) => {
      if (parseInt64(v) === undefined) {
        errs.push(invalid(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      }
    });
  }
  values.forEach((v, i) => {
    const valueErrs = isValidLabelValue(v);
    if (valueErrs.length > 0) errs.push(invalid(`values[${i}][${key}]`, v, valueErrs.join('; ')));
  });
  if (errs.length > 0) throw new Error(fieldErrorsText(errs));
  return { key, operator, values };
}

const BINARY_OPERATORS: ReadonlyMap<number, LabelOperator> = new Map<number, LabelOperator>([
  [Token.In, 'in'],
  [Token.Equals, '='],
  [Token.DoubleEquals, '=='],
  [Token.GreaterThan, 'gt'],
  [Token.LessThan, 'lt'],
  [Token.NotIn, 'notin'],
  [Token.NotEquals, '!='],
]);

type Context = 'keyAndOperator' | 'values';

/** Go's `Parser`: consumes the scanned items; errors are thrown as plain Errors with Go's text. */
class Parser {
  private position = 0;

  constructor(private readonly items: readonly ScannedItem[]) {}

  private peek(context: Context, advance: boolean): ScannedItem {
    const item = this.items[this.position] ?? { tok: Token.EndOfString, literal: '' };
    if (advance) this.position++;
    const isKeyword = item.tok === Token.In || item.tok === Token.NotIn;
    return context === 'values' && isKeyword ? { tok: Token.Identifier, literal: item.literal } : item;
  }

  private lookahead(context: Context): ScannedItem {
    return this.peek(context, false);
  }

  private consume(context: Context): ScannedItem {
    return this.peek(context, true);
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    for (;;) {
      const { tok, literal } = this.lookahead('values');
      if (tok === Token.EndOfString) return requirements;
      if (tok !== Token.Identifier && tok !== Token.DoesNotExist) {
        throw new Error(`found '${literal}', expected: !, identifier, or 'end of string'`);
      }
      try {
        requirements.push(this.parseRequirement());
      } catch (e) {
        throw new Error(`unable to parse requirement: ${(e as Error).message}`);
      }
      const next = this.consume('values');
      if (next.tok === Token.EndOfString) return requirements;
      if (next.tok !== Token.Comma) throw new Error(`found '${next.literal}', expected: ',' or 'end of string'`);
      const after = this.lookahead('values');
      if (after.tok !== Token.Identifier && after.tok !== Token.DoesNotExist) {
        throw new Error(`found '${after.literal}', expected: identifier after ','`);
      }
    }
  }

  private parseRequirement(): LabelRequirement {
    const [key, inferred] = this.parseKeyAndInferOperator();
    if (inferred !== undefined) return requirement(key, inferred, []);
    const { tok, literal } = this.consume('keyAndOperator');
    const operator = BINARY_OPERATORS.get(tok);
    if (operator === undefined) throw new Error(`found '${literal}', expected: in, notin, =, ==, !=, gt, lt`);
    const values = operator === 'in' || operator === 'notin' ? this.parseValues() : this.parseExactValue();
    return requirement(key, operator, [...values].sort());
  }

  private parseKeyAndInferOperator(): [string, LabelOperator | undefined] {
    let item = this.consume('values');
    let operator: LabelOperator | undefined;
    if (item.tok === Token.DoesNotExist) {
      operator = '!';
      item = this.consume('values');
    }
    if (item.tok !== Token.Identifier) throw new Error(`found '${item.literal}', expected: identifier`);
    const keyErrs = isQualifiedName(item.literal);
    if (keyErrs.length > 0) throw new Error(fieldErrorsText([invalid('<nil>', item.literal, keyErrs.join('; '))]));
    const next = this.lookahead('values').tok;
    if ((next === Token.EndOfString || next === Token.Comma) && operator === undefined) operator = 'exists';
    return [item.literal, operator];
  }

  private parseValues(): Set<string> {
    const open = this.consume('values');
    if (open.tok !== Token.OpenPar) throw new Error(`found '${open.literal}' expected: '('`);
    const { tok, literal } = this.lookahead('values');
    if (tok === Token.Identifier || tok === Token.Comma) {
      const values = this.parseIdentifiersList();
      if (this.consume('values').tok !== Token.ClosedPar) throw new Error(`found '${literal}', expected: ')'`);
      return values;
    }
    if (tok === Token.ClosedPar) {
      this.consume('values');
      return new Set(['']);
    }
    throw new Error(`found '${literal}', expected: ',', ')' or identifier`);
  }

  private parseIdentifiersList(): Set<string> {
    const values = new Set<string>();
    for (;;) {
      const { tok, literal } = this.consume('values');
      if (tok === Token.Identifier) {
        values.add(literal);
        const next = this.lookahead('values');
        if (next.tok === Token.ClosedPar) return values;
        if (next.tok !== Token.Comma) throw new Error(`found '${next.literal}', expected: ',' or ')'`);
      } else if (tok === Token.Comma) {
        if (values.size === 0) values.add('');
        const next = this.lookahead('values').tok;
        if (next === Token.ClosedPar) return values.add('');
        if (next === Token.Comma) values.add('');
      } else {
        throw new Error(`found '${literal}', expected: ',', or identifier`);
      }
    }
  }

  private parseExactValue(): Set<string> {
    const next = this.lookahead('values').tok;
    if (next === Token.EndOfString || next === Token.Comma) return new Set(['']);
    const { tok, literal } = this.consume('values');
    if (tok === Token.Identifier) return new Set([literal]);
    throw new Error(`found '${literal}', expected: identifier`);
  }
}

function matchesRequirement(r: LabelRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return value !== undefined && r.values.includes(value);
    case 'notin':
    case '!=':
      return value === undefined || !r.values.includes(value);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      const actual = value === undefined ? undefined : parseInt64(value);
      const bound = r.values.length === 1 ? parseInt64(r.values[0] ?? '') : undefined;
      if (actual === undefined || bound === undefined) return false;
      return r.operator === 'gt' ? actual > bound : actual < bound;
    }
  }
}

const OPERATOR_TEXT: Readonly<Record<LabelOperator, string>> = {
  '=': '=',
  '==': '==',
  '!=': '!=',
  in: ' in ',
  notin: ' notin ',
  gt: '>',
  lt: '<',
  exists: '',
  '!': '',
};

/** Go's `Requirement.String()`. */
function requirementString(r: LabelRequirement): string {
  if (r.operator === 'exists') return r.key;
  if (r.operator === '!') return `!${r.key}`;
  const values = r.values.length === 1 ? (r.values[0] ?? '') : [...r.values].sort().join(',');
  const body = r.operator === 'in' || r.operator === 'notin' ? `(${values})` : values;
  return `${r.key}${OPERATOR_TEXT[r.operator]}${body}`;
}

function selectorOf(requirements: LabelRequirement[]): LabelSelector {
  const sorted = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    empty: sorted.length === 0,
    requirements: sorted,
    matches: (labels) => sorted.every((r) => matchesRequirement(r, labels ?? {})),
    toString: () => sorted.map(requirementString).join(','),
  };
}

/**
 * Parses a `labelSelector` query value (Go's `labels.Parse`). An empty string selects everything.
 * Throws a 400 BadRequest StatusError carrying the parser's message, as the apiserver answers.
 */
export function parseLabelSelector(s: string): LabelSelector {
  try {
    return selectorOf(new Parser(lexLabelSelector(s)).parse());
  } catch (e) {
    throw newBadRequest((e as Error).message);
  }
}
