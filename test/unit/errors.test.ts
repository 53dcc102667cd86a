import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  CRD_PATCH_MEDIA_TYPES,
  isAlreadyExists,
  isBadRequest,
  isConflict,
  isForbidden,
  isGone,
  isInternalError,
  isInvalid,
  isMethodNotSupported,
  isNotAcceptable,
  isNotFound,
  isRequestEntityTooLarge,
  isResourceExpired,
  isServerTimeout,
  isServiceUnavailable,
  isStatusError,
  isTimeout,
  isTooManyRequests,
  isUnauthorized,
  isUnsupportedMediaType,
  newAlreadyExists,
  newBadRequest,
  newConflict,
  newForbidden,
  newGenericNotFound,
  newGone,
  newInternalError,
  newInvalid,
  newMethodNotAllowed,
  newMethodNotSupported,
  newNotAcceptable,
  newNotFound,
  newRequestEntityTooLarge,
  newResourceExpired,
  newServerTimeout,
  newServiceUnavailable,
  newTimeout,
  newTooLargeResourceVersion,
  newTooManyRequests,
  newUnauthorized,
  newUnsupportedMediaType,
  OPTIMISTIC_LOCK_ERROR_MSG,
  StatusError,
  successStatus,
  toStatus,
} from '../../src/apiserver/errors.js';
import { invalid, notSupported, required } from '../../src/apiserver/field-errors.js';

const WFR = { group: 'kubeactions.dev', resource: 'workflowruns' };
const HEAD = '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",';

// Each constructor against the exact JSON the Go apiserver writes (key order and omitempty included).
describe('constructors produce Go\'s Status JSON', () => {
  const cases: Array<[string, StatusError, string]> = [
    [
      'NotFound',
      newNotFound(WFR, 'x'),
      `${HEAD}"message":"workflowruns.kubeactions.dev \\"x\\" not found","reason":"NotFound","details":{"name":"x","group":"kubeactions.dev","kind":"workflowruns"},"code":404}`,
    ],
    [
      'NotFound in the core group',
      newNotFound({ group: '', resource: 'namespaces' }, 'ci'),
      `${HEAD}"message":"namespaces \\"ci\\" not found","reason":"NotFound","details":{"name":"ci","kind":"namespaces"},"code":404}`,
    ],
    [
      'AlreadyExists',
      newAlreadyExists(WFR, 'demo-1'),
      `${HEAD}"message":"workflowruns.kubeactions.dev \\"demo-1\\" already exists","reason":"AlreadyExists","details":{"name":"demo-1","group":"kubeactions.dev","kind":"workflowruns"},"code":409}`,
    ],
    [
      'Conflict',
      newConflict(WFR, 'r', OPTIMISTIC_LOCK_ERROR_MSG),
      `${HEAD}"message":"Operation cannot be fulfilled on workflowruns.kubeactions.dev \\"r\\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"r","group":"kubeactions.dev","kind":"workflowruns"},"code":409}`,
    ],
    [
      'Invalid with one cause',
      newInvalid({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', [required('fieldManager', 'is required for apply patch')]),
      `${HEAD}"message":"PatchOptions.meta.k8s.io \\"\\" is invalid: fieldManager: Required value: is required for apply patch","reason":"Invalid","details":{"group":"meta.k8s.io","kind":"PatchOptions","causes":[{"reason":"FieldValueRequired","message":"Required value: is required for apply patch","field":"fieldManager"}]},"code":422}`,
    ],
    [
      'Invalid with no causes',
      newInvalid({ group: 'kubeactions.dev', kind: 'WorkflowRun' }, 'r', []),
      `${HEAD}"message":"WorkflowRun.kubeactions.dev \\"r\\" is invalid","reason":"Invalid","details":{"name":"r","group":"kubeactions.dev","kind":"WorkflowRun"},"code":422}`,
    ],
    ['BadRequest', newBadRequest('bad'), `${HEAD}"message":"bad","reason":"BadRequest","code":400}`],
    [
      'MethodNotSupported',
      newMethodNotSupported(WFR, 'watch'),
      `${HEAD}"message":"watch is not supported on resources of kind \\"workflowruns.kubeactions.dev\\"","reason":"MethodNotAllowed","details":{"group":"kubeactions.dev","kind":"workflowruns"},"code":405}`,
    ],
    [
      'NotAcceptable',
      newNotAcceptable(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']),
      `${HEAD}"message":"only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf","reason":"NotAcceptable","code":406}`,
    ],
    [
      'UnsupportedMediaType',
      newUnsupportedMediaType(CRD_PATCH_MEDIA_TYPES),
      `${HEAD}"message":"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml","reason":"UnsupportedMediaType","code":415}`,
    ],
    [
      'RequestEntityTooLarge',
      newRequestEntityTooLarge(3 * 1024 * 1024),
      `${HEAD}"message":"Request entity too large: limit is 3145728","reason":"RequestEntityTooLarge","code":413}`,
    ],
    [
      'Expired',
      newResourceExpired('too old resource version: 5 (9)'),
      `${HEAD}"message":"too old resource version: 5 (9)","reason":"Expired","code":410}`,
    ],
    ['Gone', newGone('gone'), `${HEAD}"message":"gone","reason":"Gone","code":410}`],
    [
      'TooManyRequests',
      newTooManyRequests('queue is full', 5),
      `${HEAD}"message":"queue is full","reason":"TooManyRequests","details":{"retryAfterSeconds":5},"code":429}`,
    ],
    [
      'InternalError from an Error',
      newInternalError(new Error('redis down')),
      `${HEAD}"message":"Internal error occurred: redis down","reason":"InternalError","details":{"causes":[{"message":"redis down"}]},"code":500}`,
    ],
    [
      'InternalError from a string',
      newInternalError('oops'),
      `${HEAD}"message":"Internal error occurred: oops","reason":"InternalError","details":{"causes":[{"message":"oops"}]},"code":500}`,
    ],
    [
      'ServerTimeout',
      newServerTimeout(WFR, 'create', 2),
      `${HEAD}"message":"The create operation against workflowruns.kubeactions.dev could not be completed at this time, please try again.","reason":"ServerTimeout","details":{"name":"create","group":"kubeactions.dev","kind":"workflowruns","retryAfterSeconds":2},"code":500}`,
    ],
    ['ServiceUnavailable', newServiceUnavailable('not ready'), `${HEAD}"message":"not ready","reason":"ServiceUnavailable","code":503}`],
    [
      'ServiceUnavailable with retry',
      newServiceUnavailable('not ready', 3),
      `${HEAD}"message":"not ready","reason":"ServiceUnavailable","details":{"retryAfterSeconds":3},"code":503}`,
    ],
    [
      'Timeout',
      newTimeout('request did not complete within the allotted timeout'),
      `${HEAD}"message":"Timeout: request did not complete within the allotted timeout","reason":"Timeout","details":{},"code":504}`,
    ],
    [
      'Timeout with retry',
      newTimeout('x', 1),
      `${HEAD}"message":"Timeout: x","reason":"Timeout","details":{"retryAfterSeconds":1},"code":504}`,
    ],
    [
      'TooLargeResourceVersion',
      newTooLargeResourceVersion(12, 10, 1),
      `${HEAD}"message":"Timeout: Too large resource version: 12, current: 10","reason":"Timeout","details":{"causes":[{"reason":"ResourceVersionTooLarge","message":"Too large resource version"}],"retryAfterSeconds":1},"code":504}`,
    ],
    ['Unauthorized', newUnauthorized('Unauthorized'), `${HEAD}"message":"Unauthorized","reason":"Unauthorized","code":401}`],
    ['Unauthorized empty', newUnauthorized(''), `${HEAD}"message":"not authorized","reason":"Unauthorized","code":401}`],
    [
      'Forbidden',
      newForbidden(WFR, 'r', 'User "alice" cannot delete resource "workflowruns" in API group "kubeactions.dev" in the namespace "ci"'),
      `${HEAD}"message":"workflowruns.kubeactions.dev \\"r\\" is forbidden: User \\"alice\\" cannot delete resource \\"workflowruns\\" in API group \\"kubeactions.dev\\" in the namespace \\"ci\\"","reason":"Forbidden","details":{"name":"r","group":"kubeactions.dev","kind":"workflowruns"},"code":403}`,
    ],
    [
      'Forbidden without a name',
      newForbidden(WFR, '', 'no'),
      `${HEAD}"message":"workflowruns.kubeactions.dev is forbidden: no","reason":"Forbidden","details":{"group":"kubeactions.dev","kind":"workflowruns"},"code":403}`,
    ],
    [
      'Forbidden non-resource',
      newForbidden({ group: '', resource: '' }, '', 'User "bob" cannot get path "/x"'),
      `${HEAD}"message":"forbidden: User \\"bob\\" cannot get path \\"/x\\"","reason":"Forbidden","details":{},"code":403}`,
    ],
    [
      'generic NotFound',
      newGenericNotFound(),
      `${HEAD}"message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}`,
    ],
    [
      'generic MethodNotAllowed',
      newMethodNotAllowed(),
      `${HEAD}"message":"the server does not allow this method on the requested resource","reason":"MethodNotAllowed","details":{},"code":405}`,
    ],
  ];
  for (const [name, error, json] of cases) {
    it(name, () => {
      assert.equal(JSON.stringify(error.status), json);
      assert.equal(error.message, error.status.message);
      assert.ok(error instanceof StatusError);
      assert.ok(error instanceof Error);
    });
  }
});

describe('newInvalid', () => {
  const gk = { group: 'kubeactions.dev', kind: 'WorkflowRun' };
  const nameMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

  it('formats the DNS name violation of spec §4.1', () => {
    const status = newInvalid(gk, 'Bad_Name', [invalid('metadata.name', 'Bad_Name', nameMsg)]).status;
    assert.equal(status.message, `WorkflowRun.kubeactions.dev "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": ${nameMsg}`);
    assert.deepEqual(status.details?.causes, [
      { reason: 'FieldValueInvalid', message: `Invalid value: "Bad_Name": ${nameMsg}`, field: 'metadata.name' },
    ]);
  });

  it('aggregates several errors in brackets, de-duplicated, one cause each', () => {
    const errs = [
      notSupported('fieldValidation', 'Bogus', ['', 'Ignore', 'Strict', 'Warn']),
      notSupported('dryRun', ['x'], ['All']),
      notSupported('dryRun', ['x'], ['All']),
    ];
    const status = newInvalid({ group: 'meta.k8s.io', kind: 'CreateOptions' }, '', errs).status;
    assert.equal(
      status.message,
      'CreateOptions.meta.k8s.io "" is invalid: [fieldValidation: Unsupported value: "Bogus": supported values: "", "Ignore", "Strict", "Warn", dryRun: Unsupported value: []string{"x"}: supported values: "All"]',
    );
    assert.equal(status.details?.causes?.length, 3);
  });

  it('quotes names like Go %q', () => {
    assert.equal(newNotFound(WFR, 'a"b').message, 'workflowruns.kubeactions.dev "a\\"b" not found');
  });
});

describe('isStatusError and toStatus', () => {
  it('recognises StatusErrors structurally', () => {
    assert.equal(isStatusError(newBadRequest('x')), true);
    assert.equal(isStatusError({ status: { kind: 'Status', code: 400 } }), true);
    assert.equal(isStatusError(new Error('x')), false);
    assert.equal(isStatusError({ status: 400 }), false);
    assert.equal(isStatusError(null), false);
    assert.equal(isStatusError('x'), false);
  });

  it('passes a StatusError\'s status through', () => {
    const e = newNotFound(WFR, 'x');
    assert.equal(toStatus(e), e.status);
  });

  it('turns anything else into a 500 without a stack', () => {
    const err = new TypeError('cannot read properties of undefined');
    const status = toStatus(err);
    assert.equal(status.code, 500);
    assert.equal(status.reason, 'InternalError');
    assert.equal(status.message, 'Internal error occurred: cannot read properties of undefined');
    assert.ok(!JSON.stringify(status).includes('at '));
    assert.equal(toStatus(42).message, 'Internal error occurred: 42');
  });
});

describe('successStatus', () => {
  it('without details', () => {
    assert.equal(JSON.stringify(successStatus()), '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","code":200}');
  });
  it('with details, as the delete handler writes it', () => {
    assert.equal(
      JSON.stringify(successStatus({ name: 'r', kind: 'WorkflowRun' })),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"r","kind":"WorkflowRun"},"code":200}',
    );
  });
});

describe('predicates', () => {
  const foreign = (reason: string, code: number): unknown => ({ status: { kind: 'Status', reason, code } });
  const cases: Array<[string, (e: unknown) => boolean, unknown, boolean]> = [
    ['isNotFound NotFound', isNotFound, newNotFound(WFR, 'x'), true],
    ['isNotFound generic', isNotFound, newGenericNotFound(), true],
    ['isNotFound unknown reason 404', isNotFound, foreign('', 404), true],
    ['isNotFound known other reason 404', isNotFound, foreign('Gone', 404), false],
    ['isNotFound plain Error', isNotFound, new Error('not found'), false],
    ['isNotFound undefined', isNotFound, undefined, false],
    ['isAlreadyExists', isAlreadyExists, newAlreadyExists(WFR, 'x'), true],
    ['isAlreadyExists not by code', isAlreadyExists, foreign('', 409), false],
    ['isConflict', isConflict, newConflict(WFR, 'x', 'y'), true],
    ['isConflict unknown 409', isConflict, foreign('Weird', 409), true],
    ['isConflict not AlreadyExists', isConflict, newAlreadyExists(WFR, 'x'), false],
    ['isInvalid', isInvalid, newInvalid({ group: '', kind: 'K' }, 'n', []), true],
    ['isBadRequest', isBadRequest, newBadRequest('x'), true],
    ['isResourceExpired', isResourceExpired, newResourceExpired('x'), true],
    ['isResourceExpired not Gone', isResourceExpired, newGone('x'), false],
    ['isGone', isGone, newGone('x'), true],
    ['isGone not Expired', isGone, newResourceExpired('x'), false],
    ['isTooManyRequests', isTooManyRequests, newTooManyRequests('x', 1), true],
    ['isTooManyRequests any reason with 429', isTooManyRequests, foreign('Forbidden', 429), true],
    ['isRequestEntityTooLarge', isRequestEntityTooLarge, newRequestEntityTooLarge(1), true],
    ['isUnauthorized', isUnauthorized, newUnauthorized(''), true],
    ['isForbidden', isForbidden, newForbidden(WFR, 'x', 'y'), true],
    ['isNotAcceptable', isNotAcceptable, newNotAcceptable([]), true],
    ['isUnsupportedMediaType', isUnsupportedMediaType, newUnsupportedMediaType([]), true],
    ['isMethodNotSupported', isMethodNotSupported, newMethodNotAllowed(), true],
    ['isServiceUnavailable', isServiceUnavailable, newServiceUnavailable('x'), true],
    ['isTimeout', isTimeout, newTooLargeResourceVersion(2, 1, 1), true],
    ['isServerTimeout', isServerTimeout, newServerTimeout(WFR, 'get', 1), true],
    ['isServerTimeout not Timeout', isServerTimeout, newTimeout('x'), false],
    ['isInternalError', isInternalError, newInternalError('x'), true],
    ['isInternalError not ServerTimeout', isInternalError, newServerTimeout(WFR, 'get', 1), false],
  ];
  for (const [name, predicate, error, want] of cases) {
    it(name, () => assert.equal(predicate(error), want));
  }
});
