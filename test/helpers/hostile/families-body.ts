// Generators of malformed request bodies: broken and deeply nested JSON, wrong types, unknown
// fields, invalid UTF-8 and oversized bodies.
import { bodyTargets, collection, type Fixture, type HostileCase, item, setPath, validRun } from './case.js';
import type { Prng } from './prng.js';

const MERGE = { 'Content-Type': 'application/merge-patch+json' };

/** Every prefix-truncation of a valid document is broken JSON; so is a list of classic garbage. */
export function brokenJson(rng: Prng, fx: Fixture): HostileCase[] {
  const doc = JSON.stringify(validRun('broken-json'));
  const garbage = ['{', '}', '[', ']', 'nul', 'tru', '{"a":}', "{'a':1}", '{"a" 1}', '{"a":1,}', '[1,]', 'NaN', 'Infinity', '-', '01',
    '"unterminated', '{"a":"\\x41"}', '{"a":"\\u12"}', '\uFEFF{}', '{}{}', '{} x', '/* c */ {}', '{"a":1}//', '\u0000', 'undefined'];
  const targets = [...bodyTargets(fx), { method: 'PATCH', path: item(fx), headers: MERGE }, { method: 'DELETE', path: item(fx) }];
  const out: HostileCase[] = [];
  for (const t of targets) {
    for (let i = 0; i < 30; i++) {
      const cut = rng.int(1, doc.length - 1);
      out.push({ family: 'brokenJson', what: `${t.method} ${t.path} truncated at ${cut}`, ...t, body: doc.slice(0, cut), code: 400 });
    }
    for (const g of garbage) out.push({ family: 'brokenJson', what: `${t.method} ${t.path} ${JSON.stringify(g)}`, ...t, body: g, code: 400 });
  }
  for (const t of bodyTargets(fx)) {
    for (const v of ['[]', '"str"', '123', 'true', 'null']) {
      out.push({ family: 'brokenJson', what: `${t.method} ${t.path} non-object ${v}`, ...t, body: v, code: 400 });
    }
  }
  return out;
}

function nested(kind: 'array' | 'object' | 'unclosed', depth: number): string {
  if (kind === 'array') return '['.repeat(depth) + ']'.repeat(depth);
  if (kind === 'object') return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  return '['.repeat(depth);
}

/**
 * Nesting just under the server's limit (990 levels) and far over it (10,001 and 100,000), at
 * the top and inside fields of every kind. Merge patches are Strict, so an unknown deep field is
 * refused rather than dropped.
 */
export function deepNesting(_rng: Prng, fx: Fixture): HostileCase[] {
  const out: HostileCase[] = [];
  const strictMerge = `${item(fx)}?fieldValidation=Strict`;
  const positions = ['metadata.labels.x', 'metadata.annotations.x', 'metadata.ownerReferences', 'metadata.finalizers', 'spec.params.x',
    'spec.steps.0.env', 'spec.steps.0.name', 'spec.retry.limit', 'spec.timeoutSeconds', 'spec.unknownDeep'];
  for (const depth of [990, 10_001, 100_000]) {
    for (const kind of ['array', 'object', 'unclosed'] as const) {
      const deep = nested(kind, depth);
      for (const t of bodyTargets(fx)) out.push({ family: 'deepNesting', what: `${t.method} ${t.path} top-level ${kind} x${depth}`, ...t, body: deep });
      out.push({ family: 'deepNesting', what: `PATCH merge top-level ${kind} x${depth}`, method: 'PATCH', path: strictMerge, headers: MERGE, body: deep });
      out.push({ family: 'deepNesting', what: `PATCH json-patch top-level ${kind} x${depth}`, method: 'PATCH', path: item(fx), headers: { 'Content-Type': 'application/json-patch+json' }, body: deep });
      // A deep object of unknown DeleteOptions fields is ignored (and the run deleted) unless it is too deep to decode.
      if (kind !== 'object' || depth > 10_000) out.push({ family: 'deepNesting', what: `DELETE options ${kind} x${depth}`, method: 'DELETE', path: item(fx), body: deep });
      if (kind === 'unclosed') continue;
      const marker = '"__DEEP__"';
      // 100,000 levels are parsed but never reach the fields' code: a few positions show it.
      for (const pos of depth > 10_001 ? positions.slice(0, 3) : positions) {
        const body = JSON.stringify(setPath(validRun('deep-nesting'), pos, '__DEEP__')).replace(marker, deep);
        out.push({ family: 'deepNesting', what: `POST ${pos}=${kind} x${depth}`, method: 'POST', path: `${collection(fx)}?fieldValidation=Strict`, body });
        const patch = JSON.stringify(setPath({}, pos, '__DEEP__')).replace(marker, deep);
        out.push({ family: 'deepNesting', what: `PATCH merge ${pos}=${kind} x${depth}`, method: 'PATCH', path: strictMerge, headers: MERGE, body: patch });
      }
      const wrapped = (key: string): string => `{"${key}":${deep}}`;
      out.push({ family: 'deepNesting', what: `cancel reason=${kind} x${depth}`, method: 'POST', path: item(fx, fx.name, 'cancel'), body: wrapped('reason') });
      out.push({ family: 'deepNesting', what: `retry params=${kind} x${depth}`, method: 'POST', path: item(fx, fx.name, 'retry'), body: wrapped('params') });
      if (kind !== 'object' || depth > 10_000) out.push({ family: 'deepNesting', what: `DELETE preconditions=${kind} x${depth}`, method: 'DELETE', path: item(fx), body: wrapped('preconditions') });
      out.push({ family: 'deepNesting', what: `json-patch value=${kind} x${depth}`, method: 'PATCH', path: item(fx),
        headers: { 'Content-Type': 'application/json-patch+json' }, body: `[{"op":"add","path":"/metadata/labels/x","value":${deep}}]` });
    }
  }
  return out;
}

const WRONG: Record<string, unknown[]> = {
  string: [1, 1.5, true, {}, [], ['a']],
  integer: ['1', 1.5, true, {}, [], -1, 'NaN'],
  boolean: ['true', 1, 0, {}, []],
  object: ['x', 1, true, [], [{}]],
  array: ['x', 1, true, {}],
  stringMap: [{ k: 1 }, { k: true }, { k: {} }, { k: [] }, 'x', []],
};

/** Every field of the spec and of the metadata, with the field's type. */
const FIELDS: [string, keyof typeof WRONG, boolean][] = [
  ['spec', 'object', true], ['spec.params', 'stringMap', false], ['spec.params.GIT_REF', 'string', false], ['spec.timeoutSeconds', 'integer', false],
  ['spec.ttlSecondsAfterFinished', 'integer', false], ['spec.retry', 'object', false], ['spec.retry.limit', 'integer', false],
  ['spec.retry.backoffSeconds', 'integer', false], ['spec.steps', 'array', true], ['spec.steps.0', 'object', true], ['spec.steps.0.name', 'string', true],
  ['spec.steps.0.run', 'string', true], ['spec.steps.0.env', 'array', false], ['spec.steps.0.env.0', 'object', true], ['spec.steps.0.env.0.name', 'string', true],
  ['spec.steps.0.env.0.value', 'string', false], ['spec.steps.0.workingDir', 'string', false], ['spec.steps.0.timeoutSeconds', 'integer', false],
  ['spec.steps.0.continueOnError', 'boolean', false], ['spec.steps.0.stdin', 'boolean', false],
  ['metadata', 'object', true], ['metadata.name', 'string', true], ['metadata.generateName', 'string', false], ['metadata.namespace', 'string', false],
  ['metadata.labels', 'stringMap', false], ['metadata.labels.app', 'string', false], ['metadata.annotations', 'stringMap', false],
  ['metadata.annotations.a', 'string', false], ['metadata.finalizers', 'array', false], ['metadata.ownerReferences', 'array', false],
  ['apiVersion', 'string', false], ['kind', 'string', false],
];

/** Values out of range for fields of the right type. */
const OUT_OF_RANGE: [string, unknown][] = [
  ['spec.timeoutSeconds', 0], ['spec.timeoutSeconds', -5], ['spec.ttlSecondsAfterFinished', -1], ['spec.retry.limit', 101],
  ['spec.retry.limit', -1], ['spec.retry.backoffSeconds', -1], ['spec.steps', []], ['spec.steps.0.timeoutSeconds', 0],
  ['spec.steps.0.name', 'Bad_Name'], ['spec.steps.0.name', 'x'.repeat(64)], ['spec.steps.0.name', ''], ['spec.steps.0.run', '   '],
  ['spec.steps.0.env.0.name', '1BAD'], ['spec.steps.0.env.0.name', ''], ['spec.steps.0.workingDir', '/abs'], ['spec.steps.0.workingDir', 'a/../../etc'],
  ['spec.params', { '1bad': 'x' }], ['spec.params', { 'a-b': 'x' }], ['metadata.finalizers', [1]], ['metadata.ownerReferences', ['x']],
];

/** Every spec and metadata field with values of every wrong type, and out-of-range values. */
export function wrongTypes(_rng: Prng, fx: Fixture): HostileCase[] {
  const out: HostileCase[] = [];
  let n = 0;
  const post = (path: string, value: unknown, what: string): void => {
    const body = JSON.stringify(setPath(validRun(`wrong-type-${n++}`), path, value));
    out.push({ family: 'wrongTypes', what: `POST ${path}=${what}`, method: 'POST', path: collection(fx), body });
  };
  for (const [path, type, required] of FIELDS) {
    for (const v of WRONG[type] ?? []) post(path, v, JSON.stringify(v));
    if (required) post(path, null, 'null');
    if (path.startsWith('metadata.') || path === 'apiVersion' || path === 'kind') {
      for (const v of (WRONG[type] ?? []).slice(0, 2)) {
        const patch = JSON.stringify(setPath({}, path, v));
        out.push({ family: 'wrongTypes', what: `PATCH ${path}=${JSON.stringify(v)}`, method: 'PATCH', path: item(fx), headers: MERGE, body: patch });
      }
    }
  }
  for (const [path, v] of OUT_OF_RANGE) post(path, v, JSON.stringify(v));
  for (const big of ['1e400', '-1e400', '9223372036854775808', '1e19', '18446744073709551616']) {
    out.push({ family: 'wrongTypes', what: `POST spec.timeoutSeconds=${big}`, method: 'POST', path: collection(fx),
      body: JSON.stringify(setPath(validRun(`wrong-type-${n++}`), 'spec.timeoutSeconds', '__N__')).replace('"__N__"', big) });
  }
  const cancel = item(fx, fx.name, 'cancel');
  const retry = item(fx, fx.name, 'retry');
  for (const v of WRONG.string ?? []) out.push({ family: 'wrongTypes', what: `cancel reason=${JSON.stringify(v)}`, method: 'POST', path: cancel, body: JSON.stringify({ reason: v }), code: 422 });
  for (const v of [...(WRONG.integer ?? []), -1]) {
    out.push({ family: 'wrongTypes', what: `cancel gracePeriodSeconds=${JSON.stringify(v)}`, method: 'POST', path: cancel, body: JSON.stringify({ gracePeriodSeconds: v }), code: 422 });
  }
  for (const v of WRONG.stringMap ?? []) out.push({ family: 'wrongTypes', what: `retry params=${JSON.stringify(v)}`, method: 'POST', path: retry, body: JSON.stringify({ params: v }), code: 422 });
  for (const [k, v] of [['apiVersion', 1], ['apiVersion', 'v1'], ['kind', 'Pod'], ['kind', 7]] as const) {
    out.push({ family: 'wrongTypes', what: `cancel ${k}=${JSON.stringify(v)}`, method: 'POST', path: cancel, body: JSON.stringify({ [k]: v }), code: 400 });
  }
  // gracePeriodSeconds < 0 is not here: kube-apiserver deletes with 1 s then (rest.BeforeDelete).
  const deletes: Record<string, unknown>[] = [{ gracePeriodSeconds: 'x' }, { gracePeriodSeconds: 1.5 }, { propagationPolicy: 1 },
    { propagationPolicy: 'X' }, { preconditions: 'x' }, { preconditions: [] }, { preconditions: { uid: 5 } }, { preconditions: { uid: 'other' } },
    { preconditions: { resourceVersion: 1 } }, { preconditions: { resourceVersion: '1' } }, { dryRun: 'All' }, { dryRun: ['Bogus'] }, { dryRun: [1] },
    { orphanDependents: 'yes' }, { kind: 'Pod' }, { apiVersion: 'v9' }];
  for (const d of deletes) out.push({ family: 'wrongTypes', what: `DELETE options ${JSON.stringify(d)}`, method: 'DELETE', path: item(fx), body: JSON.stringify(d) });
  return out;
}

const UNKNOWN_AT = ['', 'metadata', 'spec', 'spec.retry', 'spec.steps.0', 'spec.steps.0.env.0', 'status'];
const ODD_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '$ref', 'a.b', 'ñ', ' ', 'Spec', 'SPEC', 'metadata '];

/** Unknown fields with fieldValidation=Strict: 400 with the strict decoding error. */
export function unknownFields(rng: Prng, fx: Fixture): HostileCase[] {
  const out: HostileCase[] = [];
  const names = [...ODD_NAMES, ...Array.from({ length: 4 }, () => rng.string('abcdefghijklmnopqrstuvwxyz', rng.int(1, 12)))];
  let n = 0;
  for (const at of UNKNOWN_AT) {
    for (const name of names) {
      const doc = validRun(`unknown-field-${n++}`);
      const body = JSON.stringify(setPath(doc, at ? `${at}.__UNKNOWN__` : '__UNKNOWN__', 1)).replace('"__UNKNOWN__"', JSON.stringify(name));
      out.push({ family: 'unknownFields', what: `POST Strict ${at}.${name}`, method: 'POST', path: `${collection(fx)}?fieldValidation=Strict`, body, code: 400 });
      if (at === '' || at === 'metadata') {
        const patch = JSON.stringify(setPath({}, at ? `${at}.__UNKNOWN__` : '__UNKNOWN__', 1)).replace('"__UNKNOWN__"', JSON.stringify(name));
        out.push({ family: 'unknownFields', what: `PATCH Strict ${at}.${name}`, method: 'PATCH', path: `${item(fx)}?fieldValidation=Strict`, headers: MERGE, body: patch, code: 400 });
        const put = JSON.stringify(setPath(validRun(fx.name), at ? `${at}.__UNKNOWN__` : '__UNKNOWN__', 1)).replace('"__UNKNOWN__"', JSON.stringify(name));
        out.push({ family: 'unknownFields', what: `PUT Strict ${at}.${name}`, method: 'PUT', path: `${item(fx)}?fieldValidation=Strict`, body: put, code: 400 });
      }
    }
  }
  for (const name of names) {
    const body = `{${JSON.stringify(name)}:1}`;
    out.push({ family: 'unknownFields', what: `cancel ${name}`, method: 'POST', path: item(fx, fx.name, 'cancel'), body, code: 400 });
    out.push({ family: 'unknownFields', what: `retry ${name}`, method: 'POST', path: item(fx, fx.name, 'retry'), body, code: 400 });
  }
  return out;
}

/** Bytes that are not UTF-8, inside strings that must be names and outside strings. */
export function invalidUtf8(rng: Prng, fx: Fixture): HostileCase[] {
  const bad = [[0xff], [0xfe, 0xff], [0xc3, 0x28], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]];
  const spots = ['metadata.name', 'metadata.labels.app', 'metadata.generateName', 'spec.steps.0.name', 'spec.steps.0.env.0.name'];
  const out: HostileCase[] = [];
  let n = 0;
  for (const bytes of bad) {
    for (const spot of spots) {
      const text = JSON.stringify(setPath(validRun(`utf8-${n++}`), spot, `a__BAD__${rng.string('bcd', 2)}`));
      const [head = '', tail = ''] = text.split('__BAD__');
      out.push({ family: 'invalidUtf8', what: `POST ${spot} bytes ${bytes.join(',')}`, method: 'POST', path: collection(fx),
        body: Buffer.concat([Buffer.from(head), Buffer.from(bytes), Buffer.from(tail)]), code: 422 });
    }
    const outside = Buffer.concat([Buffer.from('{"metadata":'), Buffer.from(bytes), Buffer.from('}')]);
    for (const t of bodyTargets(fx)) out.push({ family: 'invalidUtf8', what: `${t.method} ${t.path} bytes outside strings`, ...t, body: outside, code: 400 });
    const hex = bytes.map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    out.push({ family: 'invalidUtf8', what: `labelSelector bytes ${hex}`, method: 'GET', path: `${collection(fx)}?labelSelector=app%3D${hex}`, code: 400 });
    out.push({ family: 'invalidUtf8', what: `GET name bytes ${hex}`, method: 'GET', path: item(fx, `a${hex}`), code: 404 });
    out.push({ family: 'invalidUtf8', what: `POST in namespace bytes ${hex}`, method: 'POST', path: collection(fx, `ns${hex}`), body: JSON.stringify(validRun(`utf8-ns-${n++}`)), code: 404 });
  }
  return out;
}

const MiB = 1024 * 1024;

/** Bodies over the 3 MiB limit (413), declared or chunked, and a large body under it (422). */
export function oversized(rng: Prng, fx: Fixture): HostileCase[] {
  const out: HostileCase[] = [];
  const targets = [...bodyTargets(fx), { method: 'PATCH', path: item(fx), headers: MERGE }, { method: 'DELETE', path: item(fx) }];
  for (const t of targets) {
    for (const size of [3 * MiB + 1, 4 * MiB + rng.int(0, 1000)]) {
      for (const chunked of [false, true]) {
        const body = `{"metadata":{"annotations":{"a":"${'x'.repeat(size)}"}}}`;
        out.push({ family: 'oversized', what: `${t.method} ${t.path} ${size} bytes${chunked ? ' chunked' : ''}`, ...t, body, chunked, code: 413 });
      }
    }
  }
  const annotated = setPath(validRun('oversized-annotations'), 'metadata.annotations', { a: 'x'.repeat(Math.floor(2.5 * MiB)) });
  out.push({ family: 'oversized', what: 'POST 2.5 MiB annotation (over the 256 KiB total)', method: 'POST', path: collection(fx), body: JSON.stringify(annotated), code: 422 });
  return out;
}
