import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  negotiateOutput,
  outputContentType,
  parseAccept,
  parseMediaType,
} from '../../src/apiserver/negotiation.js';
import type { OutputTarget } from '../../src/apiserver/negotiation.js';

const RESOURCE: ReadonlyArray<OutputTarget['as']> = ['Object', 'Table', 'PartialObjectMetadata'];
const LIST: ReadonlyArray<OutputTarget['as']> = ['Object', 'Table', 'PartialObjectMetadataList'];
const DISCOVERY: ReadonlyArray<OutputTarget['as']> = ['APIGroupDiscoveryList', 'Object'];

const KUBECTL_GET =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const METADATA_LIST =
  'application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const AGGREGATOR =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

describe('negotiateOutput', () => {
  const cases: Array<{ name: string; accept: string | undefined; allowed: typeof RESOURCE; want: OutputTarget | null }> = [
    { name: 'missing header', accept: undefined, allowed: RESOURCE, want: { as: 'Object' } },
    { name: 'empty header', accept: '', allowed: RESOURCE, want: { as: 'Object' } },
    { name: 'empty header, Object not allowed', accept: '', allowed: ['APIGroupDiscoveryList'], want: null },
    { name: 'application/json', accept: 'application/json', allowed: RESOURCE, want: { as: 'Object' } },
    { name: '*/*', accept: '*/*', allowed: RESOURCE, want: { as: 'Object' } },
    { name: 'application/*', accept: 'application/*', allowed: RESOURCE, want: { as: 'Object' } },
    { name: 'bare *', accept: '*', allowed: RESOURCE, want: { as: 'Object' } },
    { name: 'kubectl get', accept: KUBECTL_GET, allowed: LIST, want: { as: 'Table', version: 'v1' } },
    {
      name: 'Table v1beta1 only',
      accept: 'application/json;as=Table;v=v1beta1;g=meta.k8s.io',
      allowed: RESOURCE,
      want: { as: 'Table', version: 'v1beta1' },
    },
    {
      name: 'param order and spaces irrelevant',
      accept: 'application/json; g=meta.k8s.io ; v=v1; as=Table',
      allowed: RESOURCE,
      want: { as: 'Table', version: 'v1' },
    },
    {
      name: 'quoted parameter values',
      accept: 'application/json;as="Table";g="meta.k8s.io";v="v1"',
      allowed: RESOURCE,
      want: { as: 'Table', version: 'v1' },
    },
    { name: 'Table not allowed → falls through to JSON', accept: KUBECTL_GET, allowed: ['Object'], want: { as: 'Object' } },
    {
      name: 'metadata client list skips protobuf',
      accept: METADATA_LIST,
      allowed: LIST,
      want: { as: 'PartialObjectMetadataList', version: 'v1' },
    },
    {
      name: 'PartialObjectMetadataList on an item endpoint falls through',
      accept: METADATA_LIST,
      allowed: RESOURCE,
      want: { as: 'Object' },
    },
    {
      name: 'PartialObjectMetadata',
      accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json',
      allowed: RESOURCE,
      want: { as: 'PartialObjectMetadata', version: 'v1' },
    },
    {
      name: 'wrong group is not acceptable',
      accept: 'application/json;as=Table;g=example.com;v=v1',
      allowed: RESOURCE,
      want: null,
    },
    { name: 'unknown as is not acceptable', accept: 'application/json;as=Banana;g=meta.k8s.io;v=v1', allowed: RESOURCE, want: null },
    { name: 'version alone is not acceptable', accept: 'application/json;v=v1', allowed: RESOURCE, want: null },
    { name: 'protobuf only', accept: 'application/vnd.kubernetes.protobuf', allowed: RESOURCE, want: null },
    { name: 'yaml and cbor only', accept: 'application/yaml, application/cbor', allowed: RESOURCE, want: null },
    { name: 'text/html only', accept: 'text/html', allowed: RESOURCE, want: null },
    { name: 'q=0 excludes', accept: 'application/json;q=0', allowed: RESOURCE, want: null },
    {
      name: 'higher q wins over position',
      accept: 'application/json;q=0.5,application/json;as=Table;g=meta.k8s.io;v=v1;q=0.9',
      allowed: RESOURCE,
      want: { as: 'Table', version: 'v1' },
    },
    {
      name: 'specific before wildcard at equal q',
      accept: '*/*,application/json;as=Table;g=meta.k8s.io;v=v1',
      allowed: RESOURCE,
      want: { as: 'Table', version: 'v1' },
    },
    { name: 'stream=watch is fine', accept: 'application/json;stream=watch', allowed: RESOURCE, want: { as: 'Object' } },
    { name: 'other stream is not', accept: 'application/json;stream=sse', allowed: RESOURCE, want: null },
    { name: 'pretty and unknown params ignored', accept: 'application/json;pretty=1;foo=bar', allowed: RESOURCE, want: { as: 'Object' } },
    { name: 'aggregator discovery', accept: AGGREGATOR, allowed: DISCOVERY, want: { as: 'APIGroupDiscoveryList', version: 'v2' } },
    {
      name: 'v2beta1 discovery only',
      accept: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
      allowed: DISCOVERY,
      want: { as: 'APIGroupDiscoveryList', version: 'v2beta1' },
    },
    {
      name: 'kubectl discovery',
      accept: `${AGGREGATOR},application/json`,
      allowed: DISCOVERY,
      want: { as: 'APIGroupDiscoveryList', version: 'v2' },
    },
    { name: 'discovery Accept on a resource falls to JSON', accept: `${AGGREGATOR},application/json`, allowed: RESOURCE, want: { as: 'Object' } },
    { name: 'plain JSON on discovery', accept: 'application/json', allowed: DISCOVERY, want: { as: 'Object' } },
    { name: 'Table on discovery falls through', accept: KUBECTL_GET, allowed: DISCOVERY, want: { as: 'Object' } },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(negotiateOutput(c.accept, c.allowed), c.want));
  }
});

describe('parseAccept', () => {
  it('keeps parameters and orders by q, specificity, position', () => {
    const ranges = parseAccept('text/*;q=0.5, */*;q=0.5, application/json;as=Table, bogus, image/png;q=0.8');
    assert.deepEqual(
      ranges.map((r) => [`${r.type}/${r.subtype}`, r.q]),
      [
        ['application/json', 1],
        ['image/png', 0.8],
        ['text/*', 0.5],
        ['*/*', 0.5],
      ],
    );
    assert.deepEqual(ranges[0]?.params, { as: 'Table' });
  });

  it('does not split inside quoted parameters', () => {
    const [range] = parseAccept('application/json;x="a,b;c"');
    assert.deepEqual(range?.params, { x: 'a,b;c' });
  });
});

describe('outputContentType', () => {
  const cases: Array<[OutputTarget, string]> = [
    [{ as: 'Object' }, 'application/json'],
    [{ as: 'Table', version: 'v1' }, 'application/json'],
    [{ as: 'APIGroupDiscoveryList', version: 'v2' }, 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList'],
    [
      { as: 'APIGroupDiscoveryList', version: 'v2beta1' },
      'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
    ],
  ];
  for (const [target, want] of cases) {
    it(`${target.as} → ${want}`, () => assert.equal(outputContentType(target), want));
  }
});

describe('parseMediaType', () => {
  const cases: Array<[string, ReturnType<typeof parseMediaType>]> = [
    ['application/json', { type: 'application/json', params: {} }],
    ['Application/JSON; Charset=UTF-8', { type: 'application/json', params: { charset: 'UTF-8' } }],
    ['application/merge-patch+json', { type: 'application/merge-patch+json', params: {} }],
    ['application/apply-patch+yaml;charset="utf-8"', { type: 'application/apply-patch+yaml', params: { charset: 'utf-8' } }],
    ['application/json;', { type: 'application/json', params: {} }],
    ['text/plain; a="x;y"', { type: 'text/plain', params: { a: 'x;y' } }],
    ['', null],
    ['application/', null],
    ['application/json/x', null],
    ['application/json; charset', null],
    ['application/json; a=1; a=2', null],
    ['application json', null],
  ];
  for (const [input, want] of cases) {
    it(JSON.stringify(input), () => assert.deepEqual(parseMediaType(input), want));
  }
});
