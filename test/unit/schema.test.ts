import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  definitionName,
  findUnknownFields,
  objectSchemaFor,
  pruneUnknownFields,
  resolveMeta,
  resolverFor,
  validateSchema,
} from '../../src/apiserver/schema.js';
import { formatGoFloat } from '../../src/apiserver/schema-validate.js';
import type { JSONSchema } from '../../src/apiserver/resource.js';
import { workflowRunDescriptor } from './fixtures/workflowrun-descriptor.js';

const descriptor = workflowRunDescriptor();
const schema = objectSchemaFor(descriptor);
const resolve = resolverFor(descriptor);

function validRun(): Record<string, unknown> {
  return {
    apiVersion: 'kubeactions.dev/v1alpha1',
    kind: 'WorkflowRun',
    metadata: { generateName: 'build-', namespace: 'ci', labels: { app: 'web' }, creationTimestamp: null },
    spec: {
      params: { GIT_REF: 'main' },
      timeoutSeconds: 3600,
      retry: { limit: 2, backoffSeconds: 5 },
      steps: [{ name: 'test', run: 'npm test', env: [{ name: 'CI', value: 'true' }], continueOnError: false }],
      priority: 'high',
    },
    status: { phase: 'Running', details: { exitCode: 0, anything: { goes: true } } },
  };
}

describe('objectSchemaFor', () => {
  it('wraps the descriptor schema in the apiVersion/kind/metadata envelope with its GVK', () => {
    assert.deepEqual(Object.keys(schema.properties ?? {}), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    assert.equal(schema.properties?.['metadata']?.$ref, 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
    assert.equal(schema.properties?.['apiVersion']?.type, 'string');
    assert.equal(schema.description, 'WorkflowRun is a one-time run of a CI/CD workflow.');
    assert.deepEqual(schema.required, ['spec']);
    assert.deepEqual(schema['x-kubernetes-group-version-kind'], [{ group: 'kubeactions.dev', kind: 'WorkflowRun', version: 'v1alpha1' }]);
  });

  it('resolves metav1 definitions with or without a JSON-pointer prefix, and the descriptor definitions', () => {
    assert.equal(resolveMeta('io.k8s.apimachinery.pkg.apis.meta.v1.Time')?.format, 'date-time');
    assert.ok(resolve('#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta')?.properties?.['labels']);
    assert.ok(resolve('WorkflowRunCancel')?.properties?.['reason']);
    assert.ok(resolve(definitionName('kubeactions.dev', 'v1alpha1', 'WorkflowRunRetry'))?.properties?.['params']);
    assert.equal(resolve('NoSuchKind'), undefined);
  });

  it('names definitions by reversed group, version and kind', () => {
    assert.equal(definitionName('kubeactions.dev', 'v1alpha1', 'WorkflowRun'), 'dev.kubeactions.v1alpha1.WorkflowRun');
    assert.equal(definitionName('coordination.k8s.io', 'v1', 'Lease'), 'io.k8s.coordination.v1.Lease');
  });
});

describe('findUnknownFields / pruneUnknownFields', () => {
  function withUnknowns(): Record<string, unknown> {
    const run = validRun();
    const spec = run['spec'] as Record<string, unknown>;
    spec['foo'] = 1;
    (spec['steps'] as Record<string, unknown>[])[0]!['bar'] = { nested: true };
    (spec['retry'] as Record<string, unknown>)['jitter'] = true;
    const meta = run['metadata'] as Record<string, unknown>;
    meta['foo'] = 'x';
    meta['ownerReferences'] = [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u', extra: 1 }];
    run['x'] = true;
    return run;
  }
  const expected = ['metadata.foo', 'metadata.ownerReferences[0].extra', 'spec.foo', 'spec.retry.jitter', 'spec.steps[0].bar', 'x'];

  it('reports nothing for a valid object, including preserved and additionalProperties fields', () => {
    assert.deepEqual(findUnknownFields(validRun(), schema, resolve), []);
  });

  it('reports unknown fields at nested paths, metadata first, in the apiserver format', () => {
    const run = withUnknowns();
    const before = JSON.stringify(run);
    assert.deepEqual(findUnknownFields(run, schema, resolve), expected);
    assert.equal(JSON.stringify(run), before, 'findUnknownFields must not modify the object');
  });

  it('prunes the same fields in place and returns them', () => {
    const run = withUnknowns();
    assert.deepEqual(pruneUnknownFields(run, schema, resolve), expected);
    const clean = validRun();
    (clean['metadata'] as Record<string, unknown>)['ownerReferences'] = [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u' }];
    assert.deepEqual(run, clean);
    assert.deepEqual(findUnknownFields(run, schema, resolve), []);
  });

  it('prunes inside known properties of a preserve-unknown-fields object, keeping its unknown keys', () => {
    const s: JSONSchema = {
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      properties: { known: { type: 'object', properties: { a: { type: 'string' } } } },
    };
    const obj = { free: { anything: 1 }, known: { a: 'x', b: 'y' } };
    assert.deepEqual(pruneUnknownFields(obj, s, resolveMeta), ['known.b']);
    assert.deepEqual(obj, { free: { anything: 1 }, known: { a: 'x' } });
  });

  it('treats additionalProperties true as open, false and absent as closed', () => {
    const open: JSONSchema = { type: 'object', additionalProperties: true };
    const closed: JSONSchema = { type: 'object', additionalProperties: false, properties: { a: { type: 'string' } } };
    assert.deepEqual(findUnknownFields({ x: { y: 1 } }, open, resolveMeta), []);
    assert.deepEqual(findUnknownFields({ a: 'x', b: 1 }, closed, resolveMeta), ['b']);
  });

  it('drops every key inside elements of an array without an items schema, like prune(x, nil)', () => {
    const s: JSONSchema = { type: 'object', properties: { list: { type: 'array' } } };
    const obj = { list: [{ a: 1 }, 'scalar', { b: 2 }] };
    assert.deepEqual(pruneUnknownFields(obj, s, resolveMeta), ['list[0].a', 'list[2].b']);
    assert.deepEqual(obj, { list: [{}, 'scalar', {}] });
  });
});

describe('validateSchema', () => {
  const check = (mutate: (run: Record<string, any>) => void) => {
    const run = validRun();
    mutate(run);
    return validateSchema(run, schema, resolve);
  };

  it('accepts a valid object (nulls count as absent)', () => {
    assert.deepEqual(check(() => undefined), []);
    assert.deepEqual(check((r) => { r['spec'].retry = null; }), []);
  });

  it('reports type errors like kube-openapi, as FieldValueTypeInvalid', () => {
    assert.deepEqual(check((r) => { r['spec'].timeoutSeconds = '3600'; }), [{
      type: 'FieldValueTypeInvalid', field: 'spec.timeoutSeconds', badValue: 'string',
      detail: 'spec.timeoutSeconds in body must be of type integer: "string"',
    }]);
    assert.equal(check((r) => { r['spec'].timeoutSeconds = 1.5; })[0]?.detail, 'spec.timeoutSeconds in body must be of type integer: "number"');
    assert.equal(check((r) => { r['spec'].steps = {}; })[0]?.detail, 'spec.steps in body must be of type array: "object"');
    assert.equal(check((r) => { r['spec'].priority = true; })[0]?.detail, 'spec.priority in body must be of type integer,string: "boolean"');
    assert.deepEqual(check((r) => { r['spec'].priority = 7; }), []);
  });

  it('follows $refs into ObjectMeta', () => {
    assert.deepEqual(check((r) => { r['metadata'].labels.app = 5; }), [{
      type: 'FieldValueTypeInvalid', field: 'metadata.labels.app', badValue: 'integer',
      detail: 'metadata.labels.app in body must be of type string: "integer"',
    }]);
  });

  it('reports enum violations as FieldValueNotSupported with the supported values', () => {
    assert.deepEqual(check((r) => { r['status'].phase = 'Bogus'; }), [{
      type: 'FieldValueNotSupported', field: 'status.phase', badValue: 'Bogus',
      detail: 'supported values: "Pending", "Running", "Succeeded", "Failed", "Cancelled"',
    }]);
  });

  it('reports missing required fields as FieldValueRequired at the missing path', () => {
    assert.deepEqual(check((r) => { delete r['spec'].steps; }), [{ type: 'FieldValueRequired', field: 'spec.steps', badValue: '', detail: '' }]);
    assert.deepEqual(check((r) => { r['spec'].steps[0].run = null; }), [{ type: 'FieldValueRequired', field: 'spec.steps[0].run', badValue: '', detail: '' }]);
  });

  it('reports numeric bounds with Go float formatting', () => {
    assert.deepEqual(check((r) => { r['spec'].timeoutSeconds = 0; }), [{
      type: 'FieldValueInvalid', field: 'spec.timeoutSeconds', badValue: 0,
      detail: 'spec.timeoutSeconds in body should be greater than or equal to 1',
    }]);
    assert.equal(check((r) => { r['spec'].timeoutSeconds = 2000000; })[0]?.detail, 'spec.timeoutSeconds in body should be less than or equal to 1e+06');
    assert.equal(check((r) => { r['spec'].retry.limit = 11; })[0]?.detail, 'spec.retry.limit in body should be less than or equal to 10');
  });

  it('reports string length and pattern violations', () => {
    const long = 'a'.repeat(64);
    assert.deepEqual(check((r) => { r['spec'].steps[0].name = long; }), [{
      type: 'FieldValueTooLong', field: 'spec.steps[0].name', badValue: long, detail: 'may not be more than 63 bytes',
    }]);
    assert.deepEqual(check((r) => { r['spec'].steps[0].name = 'Bad_Name'; }), [{
      type: 'FieldValueInvalid', field: 'spec.steps[0].name', badValue: 'Bad_Name',
      detail: "spec.steps[0].name in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'",
    }]);
    assert.deepEqual(check((r) => { r['spec'].steps[0].run = ''; }), [{
      type: 'FieldValueInvalid', field: 'spec.steps[0].run', badValue: '', detail: 'spec.steps[0].run in body should be at least 1 chars long',
    }]);
  });

  it('reports item counts: minItems as FieldValueInvalid, maxItems as FieldValueTooMany', () => {
    assert.deepEqual(check((r) => { r['spec'].steps = []; }), [{
      type: 'FieldValueInvalid', field: 'spec.steps', badValue: 0, detail: 'spec.steps in body should have at least 1 items',
    }]);
    const many = Array.from({ length: 51 }, (_, i) => ({ name: `s${i}`, run: 'true' }));
    assert.deepEqual(check((r) => { r['spec'].steps = many; }), [{
      type: 'FieldValueTooMany', field: 'spec.steps', badValue: 51, detail: 'must have at most 50 items',
    }]);
  });

  it('reports several errors in document order, and prefixes a given path', () => {
    const errors = check((r) => {
      r['spec'].timeoutSeconds = -1;
      r['spec'].steps[0].name = 'X';
      r['status'].phase = 'Nope';
    });
    assert.deepEqual(errors.map((e) => e.field), ['spec.timeoutSeconds', 'spec.steps[0].name', 'status.phase']);
    const spec = descriptor.schema.properties?.['spec'];
    assert.ok(spec);
    assert.deepEqual(validateSchema({ steps: [] }, spec, resolve, 'spec').map((e) => e.field), ['spec.steps']);
  });

  it('formats floats like Go %v', () => {
    const cases: [number, string][] = [[1, '1'], [0.5, '0.5'], [123456, '123456'], [1e6, '1e+06'], [1234567, '1.234567e+06'], [0.0001, '0.0001'], [0.00001, '1e-05'], [-2.5e7, '-2.5e+07']];
    for (const [n, s] of cases) assert.equal(formatGoFloat(n), s, String(n));
  });
});
