// Generators of malformed query parameters: label and field selectors, resourceVersions and
// their match rules, continue tokens, and the options of list, watch, create, delete and log.
import { collection, type Fixture, GV_PATH, type HostileCase, item, validRun } from './case.js';
import type { Prng } from './prng.js';

const q = encodeURIComponent;
const LOWER = 'abcdefghijklmnopqrstuvwxyz';

// Not here because kube-apiserver accepts them: `a=` and `a!=` (empty values), `in` (a key), a NUL
// (Go's lexer ends the selector there), and empty terms of field selectors (`a=b,,`, `,`).
const BAD_LABEL_SELECTORS = ['=b', 'a in (', 'a in (b', 'a in b', 'a notin', '!a=b', 'a==b==c', ',', 'a,', ',a', 'a=b,', 'a b', 'a=(b)', '(a)',
  '!', '!!a', 'a>b', 'a<', 'a>1.5', 'x in (a,,b', 'x in ((a))', 'ü=x', 'a=ü', 'a=b c', 'a/b/c=d', '/a=b', 'a/=b', '-a=b', 'a-=b', 'a=-b',
  'a=\u00ff', '=', '==', '!=', 'in (a)', 'notin (a)', 'a in ()x', 'a=b)', ')', 'a in (b)c'];
const BAD_FIELD_SELECTORS = ['=x', 'metadata.name', 'metadata.name in (a)', 'metadata.name notin (a)', 'metadata.name>1', 'metadata.name<1',
  'metadata.name=a,b', 'metadata.name!x', 'status.phase', 'spec.steps=x', 'metadata.uid=x', 'metadata.labels=x', 'a=b',
  'metadata.name=a,metadata.bogus=b', '!metadata.name', 'metadata.name\\=x'];

/** The endpoints a selector applies to: list, list in all namespaces, watch, deletecollection. */
function selectorTargets(fx: Fixture): { method: string; path: string }[] {
  return [
    { method: 'GET', path: `${collection(fx)}?` },
    { method: 'GET', path: `${GV_PATH}/workflowruns?` },
    { method: 'GET', path: `${collection(fx)}?watch=true&` },
    { method: 'DELETE', path: `${collection(fx)}?` },
  ];
}

/** Unparsable label selectors, invalid keys and values, and unknown field selectors: 400. */
export function badSelectors(rng: Prng, fx: Fixture): HostileCase[] {
  const labels = [...BAD_LABEL_SELECTORS,
    `${rng.string(LOWER, 64)}=x`, `x=${rng.string(LOWER, 64)}`, `${rng.string(LOWER, 254)}/x=y`, `x in (${rng.string(LOWER, 70)})`,
    `${rng.string(LOWER, 5)}@${rng.string(LOWER, 5)}=x`, `x=${rng.string(LOWER, 3)}#${rng.string(LOWER, 3)}`];
  const fields = [...BAD_FIELD_SELECTORS, ...Array.from({ length: 4 }, () => `spec.${rng.string(LOWER, rng.int(1, 10))}=x`)];
  const out: HostileCase[] = [];
  for (const t of selectorTargets(fx)) {
    for (const s of labels) out.push({ family: 'badSelectors', what: `${t.method} ${t.path} labelSelector=${JSON.stringify(s)}`, method: t.method, path: `${t.path}labelSelector=${q(s)}`, code: 400 });
    for (const s of fields) out.push({ family: 'badSelectors', what: `${t.method} ${t.path} fieldSelector=${JSON.stringify(s)}`, method: t.method, path: `${t.path}fieldSelector=${q(s)}`, code: 400 });
  }
  return out;
}

const BAD_RVS = ['abc', '-1', '1.5', ' 1', '1 ', '0x10', '1e3', '+1', '18446744073709551616', '99999999999999999999999999999', '١٢'];
const BAD_MATCHES: [string, number][] = [
  ['resourceVersion=1&resourceVersionMatch=Bogus', 422], ['resourceVersionMatch=Exact', 422], ['resourceVersionMatch=NotOlderThan', 422],
  ['resourceVersion=0&resourceVersionMatch=Exact', 422], ['resourceVersion=1&resourceVersionMatch=exact', 422], ['continue=x&resourceVersion=5', 400],
  ['sendInitialEvents=true', 422], ['sendInitialEvents=false', 422], ['sendInitialEvents=maybe', 422], ['watch=true&resourceVersionMatch=NotOlderThan&resourceVersion=1', 422],
  ['watch=true&sendInitialEvents=true', 422], ['watch=true&sendInitialEvents=true&resourceVersionMatch=Exact&resourceVersion=1', 422],
  ['resourceVersion=1&resourceVersionMatch=Exact', 410],
];

/** Unparsable resourceVersions on list, watch, get and delete; invalid match combinations. */
export function badResourceVersions(_rng: Prng, fx: Fixture): HostileCase[] {
  const out: HostileCase[] = [];
  for (const rv of BAD_RVS) {
    out.push({ family: 'badResourceVersions', what: `list rv=${rv}`, method: 'GET', path: `${collection(fx)}?resourceVersion=${q(rv)}`, code: 400 });
    out.push({ family: 'badResourceVersions', what: `watch rv=${rv}`, method: 'GET', path: `${collection(fx)}?watch=1&resourceVersion=${q(rv)}`, code: 400 });
    out.push({ family: 'badResourceVersions', what: `list limit rv=${rv}`, method: 'GET', path: `${collection(fx)}?limit=1&resourceVersion=${q(rv)}&resourceVersionMatch=NotOlderThan`, code: 400 });
    out.push({ family: 'badResourceVersions', what: `deletecollection rv=${rv}`, method: 'DELETE', path: `${collection(fx)}?resourceVersion=${q(rv)}`, code: 400 });
    out.push({ family: 'badResourceVersions', what: `PUT metadata.resourceVersion=${rv}`, method: 'PUT', path: item(fx),
      body: JSON.stringify({ ...validRun(fx.name), metadata: { name: fx.name, resourceVersion: rv, labels: { changed: 'yes' } } }) });
  }
  for (const [query, code] of BAD_MATCHES) {
    out.push({ family: 'badResourceVersions', what: `list ${query}`, method: 'GET', path: `${collection(fx)}?${query}`, code });
    out.push({ family: 'badResourceVersions', what: `all-namespaces list ${query}`, method: 'GET', path: `${GV_PATH}/workflowruns?${query}`, code });
  }
  return out;
}

function b64(s: string | Buffer): string {
  return Buffer.from(s).toString('base64url');
}

/** Garbage and forged continue tokens: 400 BadRequest (never a 5xx, never a page). */
export function badContinue(rng: Prng, fx: Fixture): HostileCase[] {
  const tokens = ['!', '%%%', '====', 'a', '\u00ff', rng.string('!@#$^&*()', 12), rng.string(`${LOWER}0123456789`, 40), b64(rng.bytes(24)), b64(rng.bytes(300)),
    b64('not json'), b64('{'), b64('null'), b64('[]'), b64('"s"'), b64('{}'), b64('{"v":"x"}'), b64('{"v":"kubeactions/1"}'),
    b64('{"v":"kubeactions/1","rv":"abc","start":""}'), b64('{"v":"kubeactions/1","rv":5,"start":""}'), b64('{"v":"kubeactions/1","rv":"5","start":5}'),
    b64('{"v":"kubeactions/1","rv":"99999999999999999999999999","start":""}'), b64('{"v":"kubeactions/1","rv":"18446744073709551616","start":""}'),
    b64('{"v":"kubeactions/1","rv":"-1","start":""}'), b64('{"v":"kubeactions/1","rv":"","start":""}'), b64(`{"v":"kubeactions/1","rv":"1","start":${JSON.stringify('x'.repeat(5000))}`),
    b64('x'.repeat(9000))];
  const out: HostileCase[] = [];
  for (const t of tokens) {
    out.push({ family: 'badContinue', what: `list continue=${t.slice(0, 40)}`, method: 'GET', path: `${collection(fx)}?limit=1&continue=${q(t)}`, code: 400 });
    out.push({ family: 'badContinue', what: `all-namespaces continue=${t.slice(0, 40)}`, method: 'GET', path: `${GV_PATH}/workflowruns?limit=5&continue=${q(t)}`, code: 400 });
    out.push({ family: 'badContinue', what: `continue + resourceVersion=${t.slice(0, 40)}`, method: 'GET', path: `${collection(fx)}?continue=${q(t)}&resourceVersion=3`, code: 400 });
  }
  return out;
}

/** Bad values for list/watch, create, delete, patch, log and action options. */
export function badQueryValues(rng: Prng, fx: Fixture): HostileCase[] {
  const out: HostileCase[] = [];
  const add = (what: string, method: string, path: string, code?: number, body?: string, headers?: Record<string, string>): void => {
    out.push({ family: 'badQueryValues', what, method, path, ...(code ? { code } : {}), ...(body ? { body } : {}), ...(headers ? { headers } : {}) });
  };
  // limit=-1 is not here: kube-apiserver ignores a limit that is not positive and lists everything.
  for (const v of ['abc', '1.5', '1e3', '99999999999999999999', '0x10', ' 5', '--1']) {
    add(`list limit=${v}`, 'GET', `${collection(fx)}?limit=${q(v)}`, 400);
    add(`watch timeoutSeconds=${v}`, 'GET', `${collection(fx)}?watch=true&timeoutSeconds=${q(v)}`, 400);
    add(`list timeoutSeconds=${v}`, 'GET', `${collection(fx)}?timeoutSeconds=${q(v)}`, 400);
  }
  for (const v of ['abc', '5', '1x', '-', '1.5.5s', 'ms']) add(`get timeout=${v}`, 'GET', `${item(fx)}?timeout=${q(v)}`, 400);
  const table = { Accept: 'application/json;as=Table;g=meta.k8s.io;v=v1' };
  for (const v of ['Bogus', 'none', 'object', '1']) {
    add(`get Table includeObject=${v}`, 'GET', `${item(fx)}?includeObject=${v}`, 400, undefined, table);
    add(`list Table includeObject=${v}`, 'GET', `${collection(fx)}?includeObject=${v}`, 400, undefined, table);
  }
  let n = 0;
  const create = (query: string): void => add(`create ${query.slice(0, 60)}`, 'POST', `${collection(fx)}?${query}`, 422, JSON.stringify(validRun(`bad-query-${n++}`)));
  for (const v of ['Bogus', 'all', 'true', '', 'All ']) create(`dryRun=${q(v)}`);
  create('dryRun=All&dryRun=Bogus');
  for (const v of ['bogus', 'strict', 'Strict ', 'WARN', '1']) create(`fieldValidation=${q(v)}`);
  const managers = [rng.string(LOWER, 129), 'x'.repeat(1000), 'a\nb', 'a\u0000b', 'tab\there', 'ünï', '\u007f', rng.string(LOWER, 20) + '\u0001'];
  for (const m of managers) create(`fieldManager=${q(m)}`);
  for (const v of ['Bogus', 'all']) {
    add(`cancel dryRun=${v}`, 'POST', `${item(fx, fx.name, 'cancel')}?dryRun=${v}`, 422);
    add(`retry dryRun=${v}`, 'POST', `${item(fx, fx.name, 'retry')}?dryRun=${v}`, 422);
  }
  add('retry fieldManager too long', 'POST', `${item(fx, fx.name, 'retry')}?fieldManager=${'m'.repeat(129)}`, 422);
  const merge = { 'Content-Type': 'application/merge-patch+json' };
  const patch = JSON.stringify({ metadata: { labels: { patched: 'yes' } } });
  for (const query of ['force=true', 'force=false', 'fieldValidation=Bogus', 'dryRun=Bogus', `fieldManager=${'m'.repeat(200)}`]) {
    add(`PATCH ${query}`, 'PATCH', `${item(fx)}?${query}`, 422, patch, merge);
  }
  for (const query of ['propagationPolicy=X', 'propagationPolicy=orphan', 'propagationPolicy=', 'dryRun=Bogus', 'gracePeriodSeconds=abc', 'gracePeriodSeconds=1.5',
    'gracePeriodSeconds=99999999999999999999']) {
    add(`DELETE ${query}`, 'DELETE', `${item(fx)}?${query}`);
    add(`deletecollection ${query}`, 'DELETE', `${collection(fx)}?${query}`);
  }
  const logs: [string, number][] = [
    ['tailLines=x', 400], ['tailLines=-1', 422], ['tailLines=1.5', 400], ['limitBytes=0', 422], ['limitBytes=-5', 422], ['limitBytes=x', 400],
    ['sinceSeconds=0', 422], ['sinceSeconds=x', 400], ['sinceTime=yesterday', 400], ['sinceTime=2024-13-01T00:00:00Z', 400],
    ['attempt=0', 422], ['attempt=x', 400], ['previous=true&attempt=1', 422],
    ['sinceTime=2024-01-01T00:00:00Z&sinceSeconds=5', 422], ['tailLines=99999999999999999999', 400], ['step=nope', 400],
  ];
  for (const [query, code] of logs) add(`log ${query}`, 'GET', `${item(fx, fx.name, 'log')}?${query}`, code);
  return out;
}
