// Accept / Content-Type handling as the apiserver does it (pkg/endpoints/handlers/negotiation:
// NegotiateMediaTypeOptions, acceptMediaTypeOptions; goautoneg.ParseAccept). JSON is the only
// media type we produce; `as;g;v` parameters pick a conversion target (Table, partial metadata,
// aggregated discovery).

/** What a response should be rendered as. */
export type OutputTarget =
  | { as: 'Object' }
  | { as: 'Table'; version: 'v1' | 'v1beta1' }
  | { as: 'PartialObjectMetadata'; version: 'v1' | 'v1beta1' }
  | { as: 'PartialObjectMetadataList'; version: 'v1' | 'v1beta1' }
  | { as: 'APIGroupDiscoveryList'; version: 'v2' | 'v2beta1' };

/** One Accept entry. */
export interface MediaRange {
  type: string;
  subtype: string;
  params: Record<string, string>;
  q: number;
}

/** Splits on `sep` outside double-quoted strings (which may contain `\`-escapes). */
function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? '';
    if (c === sep && !quoted) {
      out.push(current);
      current = '';
      continue;
    }
    current += c;
    if (c === '"') quoted = !quoted;
    else if (c === '\\' && quoted) current += s[++i] ?? '';
  }
  out.push(current);
  return out;
}

function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v;
}

function parseQ(v: string): number {
  const q = Number(v);
  return v !== '' && Number.isFinite(q) ? q : 0;
}

function parseMediaRange(entry: string): MediaRange | undefined {
  const [range = '', ...rawParams] = splitOutsideQuotes(entry, ';');
  const sp = range.trim().split('/');
  const type = (sp[0] ?? '').trim().toLowerCase();
  let subtype: string;
  if (sp.length === 1 && type === '*') subtype = '*';
  else if (sp.length === 2) subtype = (sp[1] ?? '').trim().toLowerCase();
  else return undefined;
  const params: Record<string, string> = {};
  let q = 1;
  for (const p of rawParams) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const token = p.slice(0, eq).trim();
    const value = unquote(p.slice(eq + 1).trim());
    if (token === 'q') q = parseQ(value);
    else params[token] = value;
  }
  return { type, subtype, params, q };
}

const specificity = (r: MediaRange): number => (r.type === '*' ? 0 : 2) + (r.subtype === '*' ? 0 : 1);

/**
 * Parses an Accept header into entries ordered as goautoneg orders them: by q, then specific
 * before wildcard, then header position. Malformed entries are skipped; q=0 entries are kept.
 */
export function parseAccept(header: string): MediaRange[] {
  const ranges = splitOutsideQuotes(header, ',').flatMap((e) => parseMediaRange(e) ?? []);
  return ranges
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r.q - a.r.q || specificity(b.r) - specificity(a.r) || a.i - b.i)
    .map(({ r }) => r);
}

const META_GROUP = 'meta.k8s.io';
const DISCOVERY_GROUP = 'apidiscovery.k8s.io';

/** The conversion target an entry's `as`/`g`/`v` parameters ask for (Go's AllowsMediaTypeTransform). */
function targetFor(params: Readonly<Record<string, string>>): OutputTarget | undefined {
  const stream = params['stream'] ?? '';
  const serverVersion = params['sv'] ?? '';
  if ((stream !== '' && stream !== 'watch') || (serverVersion !== '' && serverVersion !== 'v1')) return undefined;
  const { as: kind, g: group, v: version } = params;
  if (kind === undefined && group === undefined && version === undefined) return { as: 'Object' };
  if (group === META_GROUP && (version === 'v1' || version === 'v1beta1')) {
    if (kind === 'Table' || kind === 'PartialObjectMetadata' || kind === 'PartialObjectMetadataList') {
      return { as: kind, version };
    }
  }
  if (group === DISCOVERY_GROUP && (version === 'v2' || version === 'v2beta1') && kind === 'APIGroupDiscoveryList') {
    return { as: kind, version };
  }
  return undefined;
}

const producesJson = (r: MediaRange): boolean =>
  (r.type === 'application' && (r.subtype === 'json' || r.subtype === '*')) || (r.type === '*' && r.subtype === '*');

/**
 * Picks the first acceptable Accept entry (in {@link parseAccept} order) whose target is in
 * `allowed`. A missing or empty header means plain JSON (`Object`). Entries with q=0, non-JSON
 * media types (protobuf, CBOR, YAML), unknown `as` or a wrong `g`/`v` are not acceptable.
 * Returns null when nothing is acceptable (answer 406).
 */
export function negotiateOutput(
  accept: string | undefined,
  allowed: ReadonlyArray<OutputTarget['as']>,
): OutputTarget | null {
  if (accept === undefined || accept === '') return allowed.includes('Object') ? { as: 'Object' } : null;
  for (const range of parseAccept(accept)) {
    if (range.q <= 0 || !producesJson(range)) continue;
    const target = targetFor(range.params);
    if (target !== undefined && allowed.includes(target.as)) return target;
  }
  return null;
}

/** The response Content-Type for a target: plain JSON, except aggregated discovery (§1.5). */
export function outputContentType(target: OutputTarget): string {
  return target.as === 'APIGroupDiscoveryList'
    ? `application/json;g=${DISCOVERY_GROUP};v=${target.version};as=APIGroupDiscoveryList`
    : 'application/json';
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function parseParam(raw: string): [string, string] | undefined {
  const eq = raw.indexOf('=');
  if (eq < 0) return undefined;
  const name = raw.slice(0, eq).trim().toLowerCase();
  const value = raw.slice(eq + 1).trim();
  if (!TOKEN.test(name)) return undefined;
  if (TOKEN.test(value)) return [name, value];
  return /^"(?:[^"\\]|\\.)*"$/s.test(value) ? [name, unquote(value)] : undefined;
}

/**
 * Go's `mime.ParseMediaType` for a request Content-Type: `type/subtype` lower-cased, parameter
 * names lower-cased, quoted values unquoted. Null when malformed (Go would return an error).
 */
export function parseMediaType(contentType: string): { type: string; params: Record<string, string> } | null {
  const [head = '', ...rawParams] = splitOutsideQuotes(contentType, ';');
  const [type = '', subtype, ...extra] = head.trim().toLowerCase().split('/');
  if (!TOKEN.test(type) || extra.length > 0 || (subtype !== undefined && !TOKEN.test(subtype))) return null;
  const params: Record<string, string> = {};
  for (const [i, raw] of rawParams.entries()) {
    if (raw.trim() === '' && i === rawParams.length - 1) break;
    const param = parseParam(raw);
    if (param === undefined || Object.hasOwn(params, param[0])) return null;
    params[param[0]] = param[1];
  }
  return { type: subtype === undefined ? type : `${type}/${subtype}`, params };
}
