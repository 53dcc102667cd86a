// The static authorization policy file and the path patterns: parsing errors with their paths,
// RBAC's resource and subresource matching, namespaces and the cluster scope.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PathMatcher } from '../../src/apiserver/auth/paths.js';
import { parsePolicy, PolicyAuthorizer } from '../../src/apiserver/auth/policy-file.js';
import { parseRequestInfo } from '../../src/apiserver/request-info.js';
import type { UserInfo } from '../../src/apiserver/types.js';

const alice: UserInfo = { name: 'alice', groups: ['dev', 'system:authenticated'] };
const bob: UserInfo = { name: 'bob', groups: ['system:authenticated'] };

async function allowed(policy: PolicyAuthorizer, user: UserInfo, method: string, path: string): Promise<boolean> {
  const [p, q = ''] = path.split('?');
  return (await policy.decide(user, parseRequestInfo(method, p ?? '', new URLSearchParams(q)))).decision === 'allow';
}

describe('policy file', () => {
  it('lists every problem with its path', () => {
    const text = 'rules:\n  - verbs: get\n    resources: [a]\n    nonResourceURLs: [/x]\n  - users: [u]\n    verbs: [get]\n    nonResourceURLs: [/x]\n    namespaces: [n]\n';
    assert.throws(() => parsePolicy(text, 'p.yaml'), (err: Error) => {
      assert.equal(err.message, 'p.yaml: rules[0].verbs: must be a list of non-empty strings; rules[0]: needs users or groups; '
        + 'rules[0].verbs: Required value; rules[0]: needs exactly one of resources or nonResourceURLs; rules[1].namespaces: only allowed with resources');
      return true;
    });
    assert.throws(() => parsePolicy('rule: []', 'p.yaml'), /p\.yaml: only the field rules is allowed at the top; rules: must be a list/);
    assert.throws(() => parsePolicy('rules: [{users: [u], verbs: [get], nonResourceURLs: ["/a*b"]}]', 'p.json'), /only trailing \* allowed/);
  });

  it('matches resources, subresources, names and namespaces as RBAC and ABAC do', async () => {
    const policy = new PolicyAuthorizer(parsePolicy(JSON.stringify({
      rules: [
        { groups: ['dev'], verbs: ['get', 'list'], resources: ['workflowruns'], namespaces: ['team-a'] },
        { users: ['alice'], verbs: ['*'], apiGroups: ['kubeactions.dev'], resources: ['*/log'], resourceNames: ['r1'] },
        { users: ['*'], verbs: ['get'], resources: ['*'], namespaces: ['*'], apiGroups: ['other.dev'] },
      ],
    }), 'p.json'));
    const runs = '/apis/kubeactions.dev/v1alpha1/namespaces/team-a/workflowruns';
    assert.equal(await allowed(policy, alice, 'GET', `${runs}/r1`), true);
    assert.equal(await allowed(policy, alice, 'GET', runs), true);
    assert.equal(await allowed(policy, alice, 'DELETE', `${runs}/r1`), false, 'verb not listed');
    assert.equal(await allowed(policy, alice, 'GET', `${runs}/r2/status`), false, 'a resource does not cover its subresources');
    assert.equal(await allowed(policy, alice, 'GET', `${runs}/r1/log`), true, '*/log with the listed name');
    assert.equal(await allowed(policy, alice, 'GET', `${runs}/r2/log`), false, 'another name');
    assert.equal(await allowed(policy, alice, 'GET', '/apis/kubeactions.dev/v1alpha1/workflowruns'), false, 'team-a does not cover the cluster scope');
    assert.equal(await allowed(policy, bob, 'GET', runs), false);
    assert.equal(await allowed(policy, bob, 'GET', '/apis/other.dev/v1/things/t1'), true, '"*" namespaces cover the cluster scope');
    assert.equal(await allowed(policy, bob, 'GET', '/apis'), false, 'resource rules never allow paths');
  });
});

describe('PathMatcher', () => {
  it('matches exact paths and trailing-* prefixes, with or without the leading slash', () => {
    const m = new PathMatcher(['/healthz', 'readyz/*', '/version/']);
    assert.deepEqual(['/healthz', '/healthz/x', '/readyz', '/readyz/redis', '/version', '/version/'].map((p) => m.matches(p)), [true, false, false, true, false, true]);
    assert.equal(new PathMatcher(['*']).matches('/anything'), true);
    assert.throws(() => new PathMatcher(['/a*/b']), /only trailing \* allowed in "\/a\*\/b"/);
  });
});
