// manifests/ objects agree with each other and with the code: the APIService reaches the
// apiserver's port, flags exist, RBAC matches K8S-WIRE-SPEC §8.4 and the served subresources,
// and every pod is hardened.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import type {
  V1APIService, V1ClusterRole, V1ClusterRoleBinding, V1Deployment, V1Namespace, V1NetworkPolicy, V1NetworkPolicyPeer, V1PodDisruptionBudget,
  V1PodTemplateSpec, V1RoleBinding, V1Secret, V1Service, V1StatefulSet,
} from '@kubernetes/client-node';
import { GROUP, VERSION } from '../../src/apis/kubeactions/types.js';
import { workflowRunsDescriptor } from '../../src/registry/workflowruns/descriptor.js';
import { acceptedFlags, flagsIn } from '../helpers/cli-flags.js';
import { type KubeObject, find, manifestsDir, readKustomization, readManifest, resolvePort, selectorMatches } from '../helpers/manifests.js';
import { repoRoot } from '../helpers/repo-root.js';

const objects = (readKustomization(manifestsDir).resources ?? []).map((f) => readManifest(path.join(manifestsDir, f))[0] as KubeObject);
const ns = 'kube-actions';
const apiserver = find<V1Deployment>(objects, 'Deployment', 'kube-actions-apiserver');
const worker = find<V1Deployment>(objects, 'Deployment', 'kube-actions-worker');
const redis = find<V1StatefulSet>(objects, 'StatefulSet', 'kube-actions-redis');
const service = find<V1Service>(objects, 'Service', 'kube-actions-apiserver');
const apiService = find<V1APIService>(objects, 'APIService', `${VERSION}.${GROUP}`);
const templates: Record<string, V1PodTemplateSpec> = {
  apiserver: apiserver.spec?.template ?? {},
  worker: worker.spec?.template ?? {},
  redis: redis.spec?.template ?? {},
};

function labelsOf(template: V1PodTemplateSpec): Record<string, string> {
  return template.metadata?.labels ?? {};
}

function podSpec(template: V1PodTemplateSpec): NonNullable<V1PodTemplateSpec['spec']> {
  assert.ok(template.spec);
  return template.spec;
}

function container(template: V1PodTemplateSpec) {
  const [first, ...rest] = podSpec(template).containers;
  assert.ok(first && rest.length === 0, 'one container');
  return first;
}

/** The value a `--flag=value` argument carries. */
function flagValue(args: readonly string[], flag: string): string | undefined {
  return args.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
}

describe('the APIService and the apiserver behind it', () => {
  it('registers the group and version the server serves, with the agreed priorities', () => {
    assert.equal(apiService.metadata?.name, `${apiService.spec?.version}.${apiService.spec?.group}`);
    assert.equal(apiService.spec?.group, GROUP);
    assert.equal(apiService.spec?.version, VERSION);
    assert.equal(apiService.spec?.groupPriorityMinimum, 1000);
    assert.equal(apiService.spec?.versionPriority, 15);
    assert.equal(apiService.spec?.caBundle, '', 'a placeholder the overlay or cert-manager fills in');
    assert.equal(apiService.spec?.insecureSkipTLSVerify, undefined);
  });

  it('points at the Service, whose port reaches the apiserver container on 8443', () => {
    const ref = apiService.spec?.service;
    assert.deepEqual([ref?.name, ref?.namespace], [service.metadata?.name, service.metadata?.namespace]);
    const port = service.spec?.ports?.find((p) => p.port === ref?.port);
    assert.equal(port?.port, 443);
    assert.ok(port.name, 'kube-aggregator resolves endpoints by port name');
    assert.equal(resolvePort(podSpec(templates.apiserver ?? {}), port.targetPort ?? port.port), 8443);
    const selected = Object.entries(templates).filter(([, t]) => selectorMatches({ matchLabels: service.spec?.selector }, labelsOf(t)));
    assert.deepEqual(selected.map(([name]) => name), ['apiserver']);
  });

  it('runs 2 apiserver replicas, probed on /readyz and /livez over HTTPS, kept available by a PodDisruptionBudget', () => {
    assert.equal(apiserver.spec?.replicas, 2);
    const c = container(apiserver.spec?.template ?? {});
    for (const [probe, pathname] of [[c.readinessProbe, '/readyz'], [c.livenessProbe, '/livez']] as const) {
      assert.equal(probe?.httpGet?.path, pathname);
      assert.equal(probe.httpGet.scheme, 'HTTPS');
      assert.equal(resolvePort(podSpec(apiserver.spec?.template ?? {}), probe.httpGet.port), 8443);
    }
    const pdb = find<V1PodDisruptionBudget>(objects, 'PodDisruptionBudget', 'kube-actions-apiserver');
    assert.ok(pdb.spec?.selector && selectorMatches(pdb.spec.selector, labelsOf(apiserver.spec?.template ?? {})));
    assert.ok(!selectorMatches(pdb.spec.selector, labelsOf(worker.spec?.template ?? {})));
    assert.ok(Number(pdb.spec.minAvailable) >= 1 && Number(pdb.spec.minAvailable) < 2);
  });

  it('serves the certificate of the Secret kube-actions-apiserver-tls, mounted read-only', () => {
    const c = container(apiserver.spec?.template ?? {});
    const volume = podSpec(apiserver.spec?.template ?? {}).volumes?.find((v) => v.secret?.secretName === 'kube-actions-apiserver-tls');
    const mount = c.volumeMounts?.find((m) => m.name === volume?.name);
    assert.equal(mount?.readOnly, true);
    // `kubectl create secret tls` and cert-manager both write tls.crt and tls.key.
    assert.equal(flagValue(c.args ?? [], '--tls-cert-file'), `${mount.mountPath}/tls.crt`);
    assert.equal(flagValue(c.args ?? [], '--tls-private-key-file'), `${mount.mountPath}/tls.key`);
  });
});

describe('the processes', () => {
  const root = repoRoot();
  const bin = 'dist/src/cli/main.js';

  it('gives the apiserver and the worker pods time for their graceful shutdown (defaults: 25s grace, 10s kill grace)', () => {
    const seconds = (v: string | undefined): number => Number(/^(\d+)s$/.exec(v ?? '0s')?.[1] ?? NaN);
    const args = container(apiserver.spec?.template ?? {}).args ?? [];
    const apiNeeds = seconds(flagValue(args, '--shutdown-delay-duration')) + 25;
    assert.ok((podSpec(apiserver.spec?.template ?? {}).terminationGracePeriodSeconds ?? 30) > apiNeeds);
    assert.ok((podSpec(worker.spec?.template ?? {}).terminationGracePeriodSeconds ?? 30) > 25 + 10);
  });

  for (const [command, deployment] of [['apiserver', apiserver], ['worker', worker]] as const) {
    it(`starts \`kube-actions ${command}\` with flags it accepts, a ServiceAccount that exists, and the Redis URL from the Secret`, () => {
      const c = container(deployment.spec?.template ?? {});
      assert.equal(c.args?.[0], command);
      const accepted = acceptedFlags(root, bin, command);
      for (const flag of flagsIn(c.args ?? [])) assert.ok(accepted.has(flag), `${command} accepts ${flag}`);
      const sa = podSpec(deployment.spec?.template ?? {}).serviceAccountName ?? '';
      assert.equal(find<KubeObject>(objects, 'ServiceAccount', sa).metadata.namespace, deployment.metadata?.namespace);
      assert.equal(flagValue(c.args ?? [], '--redis-url'), '$(REDIS_URL)');
      const ref = c.env?.find((e) => e.name === 'REDIS_URL')?.valueFrom?.secretKeyRef;
      const secret = find<V1Secret>(objects, 'Secret', ref?.name ?? '');
      assert.ok(secret.stringData?.[ref?.key ?? '']?.startsWith('redis://'));
    });
  }

  it('gives the worker a workspace on an emptyDir and no ServiceAccount token (steps run there)', () => {
    const c = container(worker.spec?.template ?? {});
    const mount = c.volumeMounts?.find((m) => m.mountPath === flagValue(c.args ?? [], '--workspace-dir'));
    assert.ok(podSpec(worker.spec?.template ?? {}).volumes?.find((v) => v.name === mount?.name)?.emptyDir);
    assert.equal(podSpec(worker.spec?.template ?? {}).automountServiceAccountToken, false);
  });

  it('points the Redis URL at the StatefulSet pod through its headless Service, on the Redis port', () => {
    const url = new URL(find<V1Secret>(objects, 'Secret', 'kube-actions-redis').stringData?.url ?? '');
    const headless = find<V1Service>(objects, 'Service', redis.spec?.serviceName ?? '');
    assert.equal(headless.spec?.clusterIP, 'None');
    assert.equal(url.hostname, `${redis.metadata?.name}-0.${headless.metadata?.name}.${ns}.svc`);
    assert.equal(Number(url.port), headless.spec?.ports?.[0]?.port);
    assert.equal(resolvePort(podSpec(templates.redis ?? {}), headless.spec?.ports?.[0]?.targetPort ?? ''), 6379);
    assert.ok(selectorMatches({ matchLabels: headless.spec?.selector }, labelsOf(templates.redis ?? {})));
    const c = container(templates.redis ?? {});
    assert.equal(c.image, 'redis:7-alpine');
    assert.deepEqual(c.args?.slice(c.args.indexOf('--appendonly'), c.args.indexOf('--appendonly') + 2), ['--appendonly', 'yes']);
    const claim = redis.spec?.volumeClaimTemplates?.[0]?.metadata?.name;
    assert.equal(c.volumeMounts?.find((m) => m.name === claim)?.mountPath, '/data');
  });
});

describe('RBAC', () => {
  it('binds the apiserver ServiceAccount to system:auth-delegator and the authentication reader (K8S-WIRE-SPEC §8.4)', () => {
    const subject = [{ kind: 'ServiceAccount', name: podSpec(templates.apiserver ?? {}).serviceAccountName, namespace: ns }];
    const delegator = find<V1ClusterRoleBinding>(objects, 'ClusterRoleBinding', 'kube-actions-apiserver:system:auth-delegator');
    assert.deepEqual(delegator.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' });
    assert.deepEqual(delegator.subjects, subject);
    const reader = find<V1RoleBinding>(objects, 'RoleBinding', 'kube-actions-apiserver-auth-reader');
    assert.equal(reader.metadata?.namespace, 'kube-system');
    assert.deepEqual(reader.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'extension-apiserver-authentication-reader' });
    assert.deepEqual(reader.subjects, subject);
  });

  /** The verbs `role` grants on `resource` of the kubeactions.dev group, sorted. */
  function granted(role: V1ClusterRole, resource: string): string[] {
    const rules = (role.rules ?? []).filter((r) => r.apiGroups?.includes(GROUP) && r.resources?.includes(resource));
    return [...new Set(rules.flatMap((r) => r.verbs))].sort();
  }
  const resources = [
    { name: 'workflowruns', verbs: workflowRunsDescriptor.verbs },
    ...(workflowRunsDescriptor.subresources ?? []).map((s) => ({ name: `workflowruns/${s.name}`, verbs: s.verbs })),
  ];

  it('aggregates read access to WorkflowRuns, their status and logs into "view"', () => {
    const view = find<V1ClusterRole>(objects, 'ClusterRole', 'kube-actions-view');
    assert.equal(view.metadata?.labels?.['rbac.authorization.k8s.io/aggregate-to-view'], 'true');
    const expected: Record<string, string[]> = {
      workflowruns: ['get', 'list', 'watch'],
      'workflowruns/log': ['get'],
      'workflowruns/status': ['get'],
    };
    for (const r of resources) assert.deepEqual(granted(view, r.name), expected[r.name] ?? [], r.name);
  });

  for (const name of ['edit', 'admin']) {
    it(`aggregates every verb the server serves, on the resource and each subresource, into "${name}"`, () => {
      const role = find<V1ClusterRole>(objects, 'ClusterRole', `kube-actions-${name}`);
      assert.equal(role.metadata?.labels?.[`rbac.authorization.k8s.io/aggregate-to-${name}`], 'true');
      for (const r of resources) assert.deepEqual(granted(role, r.name), [...r.verbs].sort(), r.name);
      assert.deepEqual(granted(role, 'workflowruns/exec'), ['create', 'get']);
      assert.deepEqual(granted(role, 'workflowruns/cancel'), ['create']);
    });
  }
});

describe('hardening', () => {
  it('enforces the restricted Pod Security profile on the namespace', () => {
    const namespace = find<V1Namespace>(objects, 'Namespace', ns);
    assert.equal(namespace.metadata?.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
  });

  for (const [name, template] of Object.entries(templates)) {
    it(`runs ${name} non-root, read-only, without capabilities, with seccomp and resource limits`, () => {
      const pod = podSpec(template);
      assert.equal(pod.securityContext?.runAsNonRoot, true);
      assert.equal(pod.securityContext.seccompProfile?.type, 'RuntimeDefault');
      const c = container(template);
      assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
      assert.equal(c.securityContext.readOnlyRootFilesystem, true);
      assert.deepEqual(c.securityContext.capabilities?.drop, ['ALL']);
      assert.equal(c.securityContext.capabilities.add, undefined);
      assert.ok(c.resources?.requests?.cpu && c.resources.requests.memory && c.resources.limits?.memory);
      const writable = (c.volumeMounts ?? []).filter((m) => m.readOnly !== true);
      const claims = new Set((name === 'redis' ? redis.spec?.volumeClaimTemplates ?? [] : []).map((t) => t.metadata?.name));
      for (const m of writable) {
        assert.ok(claims.has(m.name) || pod.volumes?.find((v) => v.name === m.name)?.emptyDir, `${m.mountPath} is scratch or a claim`);
      }
      if (name !== 'redis') assert.ok(writable.some((m) => m.mountPath === '/tmp'), 'a writable /tmp');
    });
  }

  it('lets only apiserver and worker pods reach Redis, on its port, and nothing reach workers', () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => o as unknown as V1NetworkPolicy);
    const governing = (t: V1PodTemplateSpec) => policies.filter((p) => p.spec && selectorMatches(p.spec.podSelector, labelsOf(t)));
    const [redisPolicy, ...more] = governing(templates.redis ?? {});
    assert.ok(redisPolicy?.spec && more.length === 0);
    const [rule, ...otherRules] = redisPolicy.spec.ingress ?? [];
    assert.ok(rule && otherRules.length === 0);
    // client-node names the field `_from`; the YAML has `from`.
    const from = (rule as { from?: V1NetworkPolicyPeer[] }).from ?? [];
    const allowed = Object.entries(templates)
      .filter(([, t]) => from.some((peer) => peer.podSelector && !peer.namespaceSelector && selectorMatches(peer.podSelector, labelsOf(t))))
      .map(([name]) => name);
    assert.deepEqual(allowed, ['apiserver', 'worker']);
    assert.deepEqual(rule.ports?.map((p) => resolvePort(podSpec(templates.redis ?? {}), p.port ?? '')), [6379]);

    const [apiPolicy] = governing(templates.apiserver ?? {});
    const apiPorts = (apiPolicy?.spec?.ingress ?? []).flatMap((r) => r.ports ?? []);
    assert.deepEqual(apiPorts.map((p) => resolvePort(podSpec(templates.apiserver ?? {}), p.port ?? '')), [8443]);
    const [workerPolicy] = governing(templates.worker ?? {});
    assert.deepEqual(workerPolicy?.spec?.policyTypes, ['Ingress']);
    assert.equal(workerPolicy.spec.ingress, undefined);
  });
});
