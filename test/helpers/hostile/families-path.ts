// Generators of malformed names, namespaces, paths, methods, media types and patches.
import { collection, type Fixture, GV_PATH, type HostileCase, item, setPath, validRun } from './case.js';
import type { Prng } from './prng.js';

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const e = encodeURIComponent;

/** Names over the limits: 254 and 300 characters, and 1 MB in a body. */
export function hugeNames(rng: Prng, fx: Fixture): HostileCase[] {
  const out: HostileCase[] = [];
  for (const len of [254, 300, 1000, 1 << 20]) {
    const name = rng.string(LOWER, len);
    for (const field of ['metadata.name', 'metadata.generateName', 'spec.steps.0.name']) {
      const doc = setPath(validRun('huge-name'), field, name);
      out.push({ family: 'hugeNames', what: `POST ${field} of ${len} characters`, method: 'POST', path: collection(fx), body: JSON.stringify(doc), code: 422 });
    }
    const labelled = setPath(validRun(`huge-label-${len}`), 'metadata.labels', { [name]: 'x' });
    out.push({ family: 'hugeNames', what: `POST label key of ${len}`, method: 'POST', path: collection(fx), body: JSON.stringify(labelled), code: 422 });
    const valued = setPath(validRun(`huge-value-${len}`), 'metadata.labels', { app: name });
    out.push({ family: 'hugeNames', what: `POST label value of ${len}`, method: 'POST', path: collection(fx), body: JSON.stringify(valued), code: 422 });
    const annotated = setPath(validRun(`huge-annotation-${len}`), 'metadata.annotations', { [name]: 'x' });
    out.push({ family: 'hugeNames', what: `POST annotation key of ${len}`, method: 'POST', path: collection(fx), body: JSON.stringify(annotated), code: 422 });
  }
  for (const len of [254, 300, 4000, 12_000]) {
    const name = rng.string(LOWER, len);
    out.push({ family: 'hugeNames', what: `GET name of ${len}`, method: 'GET', path: item(fx, name), code: 404 });
    out.push({ family: 'hugeNames', what: `DELETE name of ${len}`, method: 'DELETE', path: item(fx, name), code: 404 });
    out.push({ family: 'hugeNames', what: `GET log of name ${len}`, method: 'GET', path: item(fx, name, 'log'), code: 404 });
    out.push({ family: 'hugeNames', what: `cancel name of ${len}`, method: 'POST', path: item(fx, name, 'cancel'), code: 404 });
    out.push({ family: 'hugeNames', what: `retry name of ${len}`, method: 'POST', path: item(fx, name, 'retry'), code: 404 });
    out.push({ family: 'hugeNames', what: `PATCH name of ${len}`, method: 'PATCH', path: item(fx, name), headers: { 'Content-Type': 'application/merge-patch+json' }, body: '{}', code: 404 });
    out.push({ family: 'hugeNames', what: `PUT name of ${len}`, method: 'PUT', path: item(fx, name), body: JSON.stringify(validRun(name)) });
    out.push({ family: 'hugeNames', what: `POST in namespace of ${len}`, method: 'POST', path: collection(fx, name), body: JSON.stringify(validRun(`huge-ns-${len}`)), code: 404 });
  }
  return out;
}

/** Invalid in every name, key and namespace. */
const ODD = ['ünï', 'ÄBC', '名前', 'a\u0000b', 'a\tb', 'a\nb', 'a\rb', 'a\u202eb', '😀', 'a b', '\u00ad', 'a%b', 'a\u007fb', 'a\u0085b', 'a\u2028b',
  '\ufeffa', 'a\\b', 'a"b', "a'b", 'a<b>', 'a;b', 'a:b', 'a*b', 'a,b'];
/** Valid label keys and values, but not DNS-1123 names (of runs, steps and namespaces). */
const NOT_DNS = ['A', 'a_b', '-a', 'a-', 'a..b', 'Ab', 'a.-b'];

/** Non-ASCII and control characters in names, namespaces, labels and step names. */
export function nonAscii(rng: Prng, fx: Fixture): HostileCase[] {
  const out: HostileCase[] = [];
  let n = 0;
  const post = (field: string, value: unknown, what: string): void => {
    const doc = setPath(validRun(`non-ascii-${n++}`), field, value);
    out.push({ family: 'nonAscii', what: `POST ${field} ${what}`, method: 'POST', path: collection(fx), body: JSON.stringify(doc), code: 422 });
  };
  for (const s of ODD) {
    const shown = JSON.stringify(s);
    post('metadata.name', s, shown);
    post('metadata.generateName', s, shown);
    post('metadata.labels', { [s]: 'x' }, `label key ${shown}`);
    post('metadata.labels', { app: s }, `label value ${shown}`);
    post('metadata.annotations', { [s]: 'x' }, `annotation key ${shown}`);
    post('spec.steps.0.name', s, shown);
    post('spec.steps.0.env.0.name', `${s}${rng.string('xyz', 1)}`, shown);
    post('spec.params', { [s]: 'x' }, `param ${shown}`);
    out.push({ family: 'nonAscii', what: `GET name ${shown}`, method: 'GET', path: item(fx, e(s)) });
    out.push({ family: 'nonAscii', what: `DELETE name ${shown}`, method: 'DELETE', path: item(fx, e(s)) });
    out.push({ family: 'nonAscii', what: `cancel name ${shown}`, method: 'POST', path: item(fx, e(s), 'cancel') });
    out.push({ family: 'nonAscii', what: `POST in namespace ${shown}`, method: 'POST', path: collection(fx, e(s)), body: JSON.stringify(validRun(`non-ascii-ns-${n++}`)), code: 404 });
    if (!s.includes(',')) out.push({ family: 'nonAscii', what: `labelSelector ${shown}`, method: 'GET', path: `${collection(fx)}?labelSelector=${e(`${s}=x`)}`, code: 400 });
  }
  for (const s of NOT_DNS) {
    post('metadata.name', s, JSON.stringify(s));
    post('spec.steps.0.name', s, JSON.stringify(s));
    out.push({ family: 'nonAscii', what: `POST in namespace ${JSON.stringify(s)}`, method: 'POST', path: collection(fx, e(s)), body: JSON.stringify(validRun(`not-dns-ns-${n++}`)), code: 404 });
  }
  for (const raw of ['{"metadata":{"name":"a\u0001b"}}', '{"metadata":{"name":"tab\there"}}', '{"a":"line\nbreak"}']) {
    out.push({ family: 'nonAscii', what: `POST raw control character ${JSON.stringify(raw)}`, method: 'POST', path: collection(fx), body: raw, code: 400 });
  }
  return out;
}

/** Methods a path does not serve, unknown subresources and malformed paths. */
export function methodsAndPaths(_rng: Prng, fx: Fixture): HostileCase[] {
  const c = collection(fx);
  const list: [string, string, number?][] = [
    ['PUT', c, 405], ['PATCH', c, 405], ['POST', item(fx), 405], ['POST', item(fx, fx.name, 'log'), 405], ['PUT', item(fx, fx.name, 'cancel'), 405],
    ['DELETE', item(fx, fx.name, 'retry'), 405], ['GET', item(fx, fx.name, 'cancel'), 405], ['GET', item(fx, fx.name, 'retry'), 405],
    ['PATCH', item(fx, fx.name, 'log'), 405], ['DELETE', item(fx, fx.name, 'log'), 405], ['PUT', item(fx, fx.name, 'exec')], ['DELETE', item(fx, fx.name, 'attach')],
    ['GET', item(fx, fx.name, 'exec'), 400], ['GET', item(fx, fx.name, 'attach'), 400], ['POST', item(fx, fx.name, 'exec')], ['POST', item(fx, fx.name, 'attach')],
    ['GET', item(fx, fx.name, 'bogus'), 404], ['POST', item(fx, fx.name, 'bogus'), 404], ['GET', `${item(fx, fx.name, 'log')}/extra`, 404],
    ['GET', `${c}//log`, 404], ['GET', `${GV_PATH}/namespaces/${fx.namespace}/bogus`, 404], ['GET', `/apis/kubeactions.dev/v9/namespaces/${fx.namespace}/workflowruns`, 404],
    ['GET', `/apis/bogus.dev/v1alpha1/namespaces/${fx.namespace}/workflowruns`, 404], ['POST', `${GV_PATH}/workflowruns`], ['DELETE', `${GV_PATH}/workflowruns`],
    ['GET', `${GV_PATH}/workflowruns/${fx.name}`, 404], ['GET', `${c}/%2E%2E`], ['GET', `${c}/%2E`], ['DELETE', `${c}/%2E%2E`], ['GET', `${c}/a%2Fb`, 404],
    ['GET', `${c}/a%00b`, 404], ['GET', `${c}/%`, 404], ['GET', `${c}/%ZZ`, 404], ['OPTIONS', item(fx)], ['OPTIONS', c],
    ['GET', `${GV_PATH}/namespaces/${fx.namespace}/workflowruns/${fx.name}/status/extra`, 404],
    ['GET', `${GV_PATH}/watch/namespaces/${fx.namespace}/workflowruns/${fx.name}/log`], ['POST', `${GV_PATH}/watch/namespaces/${fx.namespace}/workflowruns`],
  ];
  return list.map(([method, path, code]) => ({ family: 'methodsAndPaths', what: `${method} ${path}`, method, path, ...(code ? { code } : {}),
    ...(method === 'POST' || method === 'PUT' ? { body: JSON.stringify(validRun('method-path')) } : {}) }));
}

const BAD_CONTENT_TYPES = ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/vnd.kubernetes.protobuf',
  'application/cbor', 'image/png', 'application/json-patch+json', 'application/merge-patch+json', '*/*', 'application/*', 'garbage', 'application/json/extra', ';', 'text/json'];
const BAD_PATCH_TYPES = ['application/strategic-merge-patch+json', 'application/json', 'text/plain', 'application/yaml', 'application/apply-patch+yaml', 'garbage', '',
  'application/json-patch+json/x', 'multipart/mixed'];
const BAD_ACCEPTS = ['text/html', 'application/xml', 'application/json;as=Bogus;g=meta.k8s.io;v=v1', 'application/json;as=Table;g=meta.k8s.io;v=v9',
  'application/json;as=Table;g=bogus.io;v=v1', 'image/*', 'application/vnd.kubernetes.protobuf', 'text/plain', 'application/cbor'];

/** Request bodies of media types that are not served (415) and Accept headers that cannot be met (406). */
export function mediaTypes(_rng: Prng, fx: Fixture): HostileCase[] {
  const out: HostileCase[] = [];
  const body = JSON.stringify(validRun('media-type'));
  const targets = [{ method: 'POST', path: collection(fx) }, { method: 'PUT', path: item(fx) }, { method: 'POST', path: item(fx, fx.name, 'cancel') },
    { method: 'POST', path: item(fx, fx.name, 'retry') }, { method: 'DELETE', path: item(fx) }];
  for (const t of targets) {
    for (const type of BAD_CONTENT_TYPES) {
      out.push({ family: 'mediaTypes', what: `${t.method} ${t.path} Content-Type ${type}`, ...t, headers: { 'Content-Type': type }, body: t.method === 'POST' && !t.path.endsWith('workflowruns') ? '{}' : body, code: 415 });
    }
  }
  for (const type of BAD_PATCH_TYPES) {
    out.push({ family: 'mediaTypes', what: `PATCH Content-Type ${JSON.stringify(type)}`, method: 'PATCH', path: item(fx), headers: { 'Content-Type': type }, body: '{"metadata":{"labels":{"x":"y"}}}', code: 415 });
  }
  const reads = [{ method: 'GET', path: item(fx) }, { method: 'GET', path: collection(fx) }, { method: 'POST', path: collection(fx) }, { method: 'DELETE', path: item(fx) }];
  for (const t of reads) {
    for (const accept of BAD_ACCEPTS) {
      out.push({ family: 'mediaTypes', what: `${t.method} ${t.path} Accept ${accept}`, ...t, headers: { Accept: accept }, ...(t.method === 'POST' ? { body } : {}), code: 406 });
    }
  }
  return out;
}

const JSON_PATCHES: unknown[] = [
  {}, 'x', 1, null, [1], [null], ['op'], [{}], [{ op: 'bogus', path: '/metadata/labels/x', value: 'y' }], [{ op: 'add' }], [{ op: 'add', path: '/metadata/labels/x' }],
  [{ op: 'add', path: 'metadata/labels/x', value: 'y' }], [{ op: 'add', path: 5, value: 'y' }], [{ op: 5, path: '/metadata/labels/x', value: 'y' }],
  [{ op: 'remove', path: '/spec/nothing' }], [{ op: 'replace', path: '/metadata/labels/nothing', value: 'y' }], [{ op: 'move', path: '/metadata/labels/x' }],
  [{ op: 'copy', from: '/nothing', path: '/metadata/labels/x' }], [{ op: 'test', path: '/metadata/name', value: 'other' }], [{ op: 'add', path: '/spec/steps/99', value: {} }],
  [{ op: 'replace', path: '/spec/steps/0/run', value: 'rm -rf /' }], [{ op: 'add', path: '/metadata/labels/bad key', value: 'x' }],
  [{ op: 'add', path: '/__proto__/polluted', value: 1 }], [{ op: 'add', path: '/constructor/prototype/polluted', value: 1 }],
  [{ op: 'replace', path: '/metadata', value: 'x' }], [{ op: 'replace', path: '/metadata/labels', value: ['x'] }], [{ op: 'replace', path: '', value: [] }],
  [{ op: 'replace', path: '/apiVersion', value: 'v1' }], [{ op: 'replace', path: '/kind', value: 'Pod' }], [{ op: 'remove', path: '/spec' }],
  [{ op: 'add', path: '/metadata/labels/x', value: 'y' }, { op: 'bogus' }], [{ op: 'add', path: '/metadata/labels/~2', value: 'y' }, { op: 'test', path: '/x', value: 1 }],
];
const MERGE_PATCHES: unknown[] = [
  [], 'x', 1, null, { apiVersion: 'v1' }, { kind: 'Pod' }, { metadata: 'x' }, { metadata: { labels: 'x' } }, { metadata: { labels: { 'bad key': 'x' } } },
  { metadata: { labels: { app: 5 } } }, { metadata: { annotations: { x: {} } } }, { spec: { steps: [] } }, { spec: null }, { spec: { timeoutSeconds: 'x' } },
  { metadata: { labels: { ['x'.repeat(64)]: 'y' } } },
];

/** JSON patches with bad operations and merge patches that make an invalid object. */
export function patches(_rng: Prng, fx: Fixture): HostileCase[] {
  const out: HostileCase[] = [];
  for (const p of JSON_PATCHES) {
    out.push({ family: 'patches', what: `json-patch ${JSON.stringify(p)}`, method: 'PATCH', path: item(fx), headers: { 'Content-Type': 'application/json-patch+json' }, body: JSON.stringify(p) });
  }
  for (const p of MERGE_PATCHES) {
    out.push({ family: 'patches', what: `merge-patch ${JSON.stringify(p)}`, method: 'PATCH', path: item(fx), headers: { 'Content-Type': 'application/merge-patch+json' }, body: JSON.stringify(p) });
  }
  return out;
}
