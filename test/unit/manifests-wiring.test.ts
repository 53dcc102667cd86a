// manifests/ objects agree with each other and with the code: the APIService reaches the
// apiserver's port, flags exist, Redis requires the password the processes read from a file,
// RBAC matches K8S-WIRE-SPEC §8.4 and the served subresources, every pod is hardened and the
// worker has exactly the privilege step isolation needs.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import type {
  V1APIService, V1ClusterRole, V1ClusterRoleBinding, V1Deployment, V1Namespace, V1NetworkPolicy, V1NetworkPolicyPeer, V1PodDisruptionBudget,
  V1PodTemplateSpec, V1RoleBinding, V1Service, V1ServiceAccount, V1StatefulSet, V1Volume, V1VolumeMount,
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
const redisSecret = 'kube-actions-redis';
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

/** The mount that holds `file` in the pod's one container, and its volume. */
function mountOf(template: V1PodTemplateSpec, file: string): { mount: V1VolumeMount; volume: V1Volume } {
  const mount = container(template).volumeMounts?.find((m) => file === m.mountPath || file.startsWith(`${m.mountPath}/`));
  const volume = podSpec(template).volumes?.find((v) => v.name === mount?.name);
  assert.ok(mount && volume, `${file} is on a volume`);
  return { mount, volume };
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
    it(`starts \`kube-actions ${command}\` with flags it accepts, a ServiceAccount that exists, and the Redis password from the Secret's file`, () => {
      const c = container(deployment.spec?.template ?? {});
      assert.equal(c.args?.[0], command);
      const accepted = acceptedFlags(root, bin, command);
      for (const flag of flagsIn(c.args ?? [])) assert.ok(accepted.has(flag), `${command} accepts ${flag}`);
      const sa = podSpec(deployment.spec?.template ?? {}).serviceAccountName ?? '';
      assert.equal(find<KubeObject>(objects, 'ServiceAccount', sa).metadata.namespace, deployment.metadata?.namespace);
      assert.equal(new URL(flagValue(c.args ?? [], '--redis-url') ?? '').username, 'kube-actions', 'the ACL user of redis.conf');
      const file = flagValue(c.args ?? [], '--redis-password-file') ?? '';
      const { mount, volume } = mountOf(deployment.spec?.template ?? {}, file);
      assert.equal(mount.readOnly, true);
      assert.equal(volume.secret?.secretName, redisSecret);
      assert.equal(path.posix.relative(mount.mountPath, file), 'password', 'the key README has you create');
      assert.deepEqual(c.env ?? [], [], 'nothing in the environment (steps are its children)');
    });
  }

  it("mounts the password 0400 root's in the worker (steps run as other uids) and 0440 for the apiserver's fsGroup", () => {
    const mode = (t: V1PodTemplateSpec, file: string) => mountOf(t, file).volume.secret?.defaultMode;
    const file = (t: V1PodTemplateSpec) => flagValue(container(t).args ?? [], '--redis-password-file') ?? '';
    const workerPod = templates.worker ?? {};
    assert.equal(mode(workerPod, file(workerPod)), 0o400);
    assert.equal(podSpec(workerPod).securityContext?.fsGroup, undefined, 'the kubelet would make it group-readable');
    const apiPod = templates.apiserver ?? {};
    assert.equal(mode(apiPod, file(apiPod)), 0o440);
    assert.equal(podSpec(apiPod).securityContext?.fsGroup, container(apiPod).securityContext?.runAsUser ?? podSpec(apiPod).securityContext?.runAsUser);
  });

  it('leaves the Secret kube-actions-redis out of the manifests: a generated password, created before the first apply', () => {
    assert.deepEqual(objects.filter((o) => o.kind === 'Secret'), []);
  });

  it('gives the worker its workspaces, uid lock dir and /tmp on emptyDirs, and no ServiceAccount token (steps run there)', () => {
    const workerPod = templates.worker ?? {};
    const args = container(workerPod).args ?? [];
    assert.equal(flagValue(args, '--step-isolation'), 'required');
    assert.equal(flagValue(args, '--step-network'), 'Host', 'None needs CAP_SYS_ADMIN and CAP_NET_ADMIN');
    const scratch = (dir: string) => {
      const { mount, volume } = mountOf(workerPod, dir);
      assert.notEqual(mount.readOnly, true, dir);
      assert.ok(volume.emptyDir?.sizeLimit, `${dir} is on a bounded emptyDir`);
      return volume.emptyDir;
    };
    scratch(flagValue(args, '--workspace-dir') ?? '');
    assert.equal(scratch(flagValue(args, '--step-uid-lock-dir') ?? '')?.medium, 'Memory');
    scratch('/tmp');
    assert.equal(podSpec(workerPod).automountServiceAccountToken, false);
    assert.equal(find<V1ServiceAccount>(objects, 'ServiceAccount', podSpec(workerPod).serviceAccountName ?? '').automountServiceAccountToken, false);
  });

  it('runs one worker per node (uids come from the pod\'s own lock dir), rolling without a surge pod', () => {
    const [term, ...more] = podSpec(templates.worker ?? {}).affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
    assert.ok(term?.labelSelector && more.length === 0);
    assert.equal(term.topologyKey, 'kubernetes.io/hostname');
    assert.ok(selectorMatches(term.labelSelector, labelsOf(templates.worker ?? {})));
    assert.deepEqual(worker.spec?.strategy?.rollingUpdate, { maxSurge: 0, maxUnavailable: 1 });
  });

  it('points the Redis URL at the StatefulSet pod through its headless Service, on the Redis port', () => {
    const url = new URL(flagValue(container(templates.worker ?? {}).args ?? [], '--redis-url') ?? '');
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

  it("has Redis require the password: an ACL config written from the Secret's file, and probes that log in", () => {
    const pod = templates.redis ?? {};
    const [init, ...moreInit] = podSpec(pod).initContainers ?? [];
    assert.ok(init && moreInit.length === 0);
    const c = container(pod);
    const conf = c.args?.[1] ?? '';
    assert.deepEqual([c.args?.[0], path.posix.extname(conf)], ['redis-server', '.conf'], 'redis-server <config file> …');
    const script = init.command?.at(-1) ?? '';
    const secretFile = /^secret=(\S+)$/m.exec(script)?.[1] ?? '';
    const source = podSpec(pod).volumes?.find((v) => v.name === init.volumeMounts?.find((m) => secretFile.startsWith(`${m.mountPath}/`))?.name);
    assert.equal(source?.secret?.secretName, redisSecret);
    assert.deepEqual(source.secret.items, [{ key: 'password', path: path.posix.basename(secretFile) }]);
    assert.match(script, new RegExp(`> ${conf}$`, 'm'), 'it writes the file redis-server reads');
    const configVolume = (mounts: typeof c.volumeMounts) => mounts?.find((m) => conf.startsWith(`${m.mountPath}/`))?.name;
    assert.equal(configVolume(init.volumeMounts), configVolume(c.volumeMounts));
    assert.equal(c.volumeMounts?.find((m) => m.name === configVolume(c.volumeMounts))?.readOnly, true);
    assert.equal(podSpec(pod).volumes?.find((v) => v.name === configVolume(c.volumeMounts))?.emptyDir?.medium, 'Memory');

    assert.deepEqual(c.env, [{ name: 'REDISCLI_AUTH', valueFrom: { secretKeyRef: { name: redisSecret, key: 'password' } } }]);
    assert.match(c.readinessProbe?.exec?.command?.at(-1) ?? '', /^redis-cli --user kube-actions ping \| grep -q PONG$/);
    assert.ok(c.livenessProbe?.tcpSocket, 'a TCP check needs no login');
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
  /** The capabilities Pod Security's "baseline" profile lets a container add. */
  const baselineCapabilities = [
    'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
  ];
  const isolationCapabilities = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'KILL', 'SETGID', 'SETPCAP', 'SETUID'];

  it('enforces the baseline Pod Security profile on the namespace, which the worker\'s capabilities stay within', () => {
    const namespace = find<V1Namespace>(objects, 'Namespace', ns);
    assert.equal(namespace.metadata?.labels?.['pod-security.kubernetes.io/enforce'], 'baseline');
    for (const cap of isolationCapabilities) assert.ok(baselineCapabilities.includes(cap), cap);
  });

  function allContainers(template: V1PodTemplateSpec) {
    return [...(podSpec(template).initContainers ?? []), ...podSpec(template).containers];
  }

  for (const [name, template] of Object.entries(templates)) {
    it(`runs ${name} read-only, with seccomp, no privilege escalation, resource limits and only scratch writable`, () => {
      const pod = podSpec(template);
      assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault');
      assert.ok(!pod.hostNetwork && !pod.hostPID && !pod.hostIPC && !pod.volumes?.some((v) => v.hostPath));
      for (const c of allContainers(template)) {
        assert.equal(c.securityContext?.allowPrivilegeEscalation, false, c.name);
        assert.equal(c.securityContext.readOnlyRootFilesystem, true, c.name);
        assert.equal(c.securityContext.privileged, undefined, c.name);
        assert.deepEqual(c.securityContext.capabilities?.drop, ['ALL'], c.name);
        assert.ok(c.resources?.requests?.cpu && c.resources.requests.memory && c.resources.limits?.memory, c.name);
        const writable = (c.volumeMounts ?? []).filter((m) => m.readOnly !== true);
        const claims = new Set((name === 'redis' ? redis.spec?.volumeClaimTemplates ?? [] : []).map((t) => t.metadata?.name));
        for (const m of writable) {
          assert.ok(claims.has(m.name) || pod.volumes?.find((v) => v.name === m.name)?.emptyDir, `${m.mountPath} is scratch or a claim`);
        }
      }
      if (name !== 'redis') assert.ok((container(template).volumeMounts ?? []).some((m) => m.mountPath === '/tmp'), 'a writable /tmp');
    });
  }

  for (const name of ['apiserver', 'redis']) {
    it(`runs ${name} as non-root without any capability (Pod Security "restricted")`, () => {
      const template = templates[name] ?? {};
      assert.equal(podSpec(template).securityContext?.runAsNonRoot, true);
      assert.ok((podSpec(template).securityContext?.runAsUser ?? 0) > 0);
      for (const c of allContainers(template)) {
        assert.equal(c.securityContext?.runAsUser, undefined, c.name);
        assert.equal(c.securityContext?.capabilities?.add, undefined, c.name);
      }
    });
  }

  it('runs the worker as root with exactly the capabilities step isolation needs, and nothing else', () => {
    const template = templates.worker ?? {};
    assert.deepEqual(podSpec(template).securityContext, { runAsUser: 0, runAsGroup: 0, seccompProfile: { type: 'RuntimeDefault' } });
    const { securityContext } = container(template);
    const add = securityContext?.capabilities?.add ?? [];
    assert.deepEqual({ ...securityContext, capabilities: { ...securityContext?.capabilities, add: [...add].sort() } }, {
      runAsUser: 0,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'], add: isolationCapabilities },
    });
    for (const c of podSpec(template).initContainers ?? []) assert.equal(c.securityContext?.capabilities?.add, undefined, c.name);
  });

  it("makes the worker's /tmp sticky and /run/kube-actions root's alone before it starts (an emptyDir is 0777)", () => {
    const template = templates.worker ?? {};
    const [init, ...more] = podSpec(template).initContainers ?? [];
    assert.ok(init && more.length === 0);
    assert.deepEqual(init.command, ['sh', '-c', 'chmod 1777 /tmp && chmod 0700 /run/kube-actions']);
    const volumeAt = (c: typeof init, dir: string) => c.volumeMounts?.find((m) => m.mountPath === dir)?.name;
    const lockDir = flagValue(container(template).args ?? [], '--step-uid-lock-dir') ?? '';
    assert.equal(path.posix.dirname(lockDir), '/run/kube-actions');
    for (const dir of ['/tmp', '/run/kube-actions']) {
      assert.ok(volumeAt(init, dir));
      assert.equal(volumeAt(init, dir), volumeAt(container(template), dir), dir);
    }
  });

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
