// manifests/: every file is listed and valid against the Kubernetes schemas, kustomize renders
// the base and each component with no secret in argv, the README's Redis password step makes the
// Secret the pods mount, and its TLS steps give kube-apiserver a working caBundle.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { describe, it } from 'node:test';
import type { V1APIService, V1Deployment, V1PodSpec, V1Secret, V1Service } from '@kubernetes/client-node';
import { isBuiltIn, validateObject } from '../helpers/k8s-schemas.js';
import { modelName, unknownFields } from '../helpers/k8s-fields.js';
import {
  type KubeObject, find, kustomize, kustomizeOverlay, manifestsDir, objectKey, parseDocuments, readKustomization, readManifest, yamlFiles,
} from '../helpers/manifests.js';
import { repoRoot } from '../helpers/repo-root.js';

interface Certificate {
  spec: { secretName: string; isCA?: boolean; dnsNames?: string[]; usages?: string[]; issuerRef: { kind?: string; name: string } };
}
interface Issuer {
  spec: { selfSigned?: object; ca?: { secretName: string } };
}

const root = repoRoot();
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
const base = readKustomization(manifestsDir);
const componentsDir = path.join(manifestsDir, 'components');
const components = readdirSync(componentsDir).sort();

function objectsOf(dir: string, files: readonly string[]): KubeObject[] {
  return files.map((f) => readManifest(path.join(dir, f))[0] as KubeObject);
}

const baseObjects = objectsOf(manifestsDir, base.resources ?? []);
const componentObjects = components.flatMap((c) => {
  const dir = path.join(componentsDir, c);
  return objectsOf(dir, readKustomization(dir).resources ?? []);
});
const apiserver = find<V1Deployment>(baseObjects, 'Deployment', 'kube-actions-apiserver');
const apiService = find<V1APIService>(baseObjects, 'APIService', 'v1alpha1.kubeactions.dev');

/** The name of the Secret the apiserver serves its certificate from (the volume its TLS flags point into). */
function servingSecretName(deployment: V1Deployment): string | undefined {
  const volumes = deployment.spec?.template.spec?.volumes ?? [];
  return volumes.find((v) => v.name === 'tls')?.secret?.secretName;
}

describe('manifests/ files', () => {
  it('lists every file in kustomization.yaml, one object per file, and leaves examples/ out', () => {
    assert.deepEqual([...(base.resources ?? [])].sort(), yamlFiles(manifestsDir));
    assert.ok(!(base.resources ?? []).some((r) => r.includes('examples')));
    for (const file of yamlFiles(manifestsDir)) assert.equal(readManifest(path.join(manifestsDir, file)).length, 1, file);
    assert.deepEqual(components, ['cert-manager', 'external-redis']);
    for (const c of components) {
      const dir = path.join(componentsDir, c);
      const k = readKustomization(dir);
      assert.equal(k.kind, 'Component', c);
      assert.deepEqual([...(k.resources ?? [])].sort(), yamlFiles(dir), c);
      for (const file of yamlFiles(dir)) assert.equal(readManifest(path.join(dir, file)).length, 1, `${c}/${file}`);
    }
  });

  it('validates every object, the components\' included, against the OpenAPI schema of its API version', async () => {
    for (const object of [...baseObjects, ...componentObjects]) {
      await assert.doesNotReject(validateObject(object), objectKey(object));
    }
  });

  it('uses no field the Kubernetes API does not define (kubectl\'s strict field validation)', () => {
    for (const object of [...baseObjects, ...componentObjects].filter((o) => isBuiltIn(o.apiVersion))) {
      const model = modelName(object.apiVersion, object.kind);
      assert.ok(model, `a model for ${object.apiVersion} ${object.kind}`);
      assert.deepEqual(unknownFields(object, model), [], objectKey(object));
    }
  });

  it('would catch a misspelt field, a wrong type and an unknown kind', async () => {
    const broken = structuredClone(apiserver) as unknown as KubeObject & V1Deployment;
    const container = broken.spec?.template.spec?.containers[0];
    assert.ok(container?.ports?.[0]);
    Object.assign(container, { readinesProbe: container.readinessProbe });
    assert.deepEqual(unknownFields(broken, 'V1Deployment'), ['.spec.template.spec.containers[0].readinesProbe']);
    Object.assign(container.ports[0], { containerPort: '8443' });
    await assert.rejects(validateObject(broken), /containerPort must be integer/);
    await assert.rejects(validateObject({ apiVersion: 'apps/v1', kind: 'Deploymnet' }), /no schema for Deploymnet/);
    const certificate = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'x' }, spec: {} };
    await assert.rejects(validateObject(certificate), /secretName/);
  });
});

describe('kubectl kustomize', () => {
  it('renders manifests/ to exactly its objects, with the image at the package version', () => {
    const rendered = kustomize(manifestsDir);
    assert.deepEqual(rendered.map(objectKey).sort(), baseObjects.map(objectKey).sort());
    const images = rendered
      .filter((o) => o.kind === 'Deployment')
      .flatMap((d) => (d as unknown as V1Deployment).spec?.template.spec?.containers.map((c) => c.image) ?? []);
    assert.deepEqual(images, [`kube-actions:${pkg.version}`, `kube-actions:${pkg.version}`]);
    assert.equal(find<KubeObject>(rendered, 'RoleBinding', 'kube-actions-apiserver-auth-reader').metadata.namespace, 'kube-system');
  });

  it('with components/external-redis: no in-cluster Redis, and the URL read from the Secret kube-actions-redis', () => {
    const objects = kustomizeOverlay(['external-redis']);
    const rendered = new Set(objects.map(objectKey));
    const removed = baseObjects.map(objectKey).filter((k) => !rendered.has(k));
    assert.deepEqual(removed.sort(), [
      'NetworkPolicy/kube-actions/kube-actions-redis',
      'Service/kube-actions/kube-actions-redis',
      'StatefulSet/kube-actions/kube-actions-redis',
    ]);
    assert.equal(rendered.size, baseObjects.length - removed.length);
    for (const name of ['kube-actions-apiserver', 'kube-actions-worker']) {
      const pod = find<V1Deployment>(objects, 'Deployment', name).spec?.template.spec;
      const args = pod?.containers[0]?.args ?? [];
      assert.deepEqual(args.filter((a) => a.startsWith('--redis-')), ['--redis-url-file=/var/run/secrets/kube-actions/redis/url'], name);
      const mount = pod?.containers[0]?.volumeMounts?.find((m) => m.mountPath === '/var/run/secrets/kube-actions/redis');
      const volume = pod?.volumes?.find((v) => v.name === mount?.name);
      assert.deepEqual([mount?.readOnly, volume?.secret?.secretName, volume?.secret?.items], [true, 'kube-actions-redis', undefined], name);
    }
  });

  it('renders, the base and with each component, no secret into a command line or an environment', () => {
    for (const components of [[], ...readdirSync(componentsDir).map((c) => [c])]) {
      for (const o of components.length === 0 ? kustomize(manifestsDir) : kustomizeOverlay(components)) {
        const pod = (o as { spec?: { template?: { spec?: V1PodSpec } } }).spec?.template?.spec;
        for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
          const where = `${objectKey(o)} ${c.name} (${components.join(',') || 'base'})`;
          for (const arg of [...(c.command ?? []), ...(c.args ?? [])]) {
            assert.doesNotMatch(arg, /\$\([A-Za-z_][A-Za-z0-9_]*\)/, `${where}: no $(VAR) from the environment in argv`);
            assert.doesNotMatch(arg, /--(requirepass|masterauth|pass)\b|^-a$/, `${where}: no password flag`);
            for (const url of arg.match(/\brediss?(\+\w+)?:\/\/[^\s'"]+/g) ?? []) assert.equal(new URL(url).password, '', `${where}: ${url}`);
          }
          // Only Redis' own container has its password in its environment, for redis-cli.
          const fromSecrets = (c.env ?? []).filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.name);
          assert.deepEqual(fromSecrets, c.name === 'redis' ? ['REDISCLI_AUTH'] : [], where);
          assert.equal(c.envFrom, undefined, where);
        }
      }
    }
  });

  it('with components/cert-manager: a CA chain issuing the Secret the apiserver mounts, injected into the APIService', () => {
    const rendered = kustomizeOverlay(['cert-manager']);
    const service = apiService.spec?.service;
    const injected = find<V1APIService & KubeObject>(rendered, 'APIService', 'v1alpha1.kubeactions.dev');
    assert.equal(injected.spec?.caBundle, undefined, 'the placeholder is gone');
    const [ns, certName] = (injected.metadata.annotations?.['cert-manager.io/inject-ca-from'] ?? '').split('/');
    assert.equal(ns, service?.namespace);
    const serving = find<Certificate>(rendered, 'Certificate', certName ?? '');
    assert.equal(serving.spec.secretName, servingSecretName(apiserver));
    assert.ok(serving.spec.dnsNames?.includes(`${service?.name}.${service?.namespace}.svc`));
    assert.ok(serving.spec.usages?.includes('server auth'));
    const caIssuer = find<Issuer>(rendered, 'Issuer', serving.spec.issuerRef.name);
    const ca = rendered.filter((o) => o.kind === 'Certificate').map((o) => o as unknown as Certificate)
      .find((c) => c.spec.secretName === caIssuer.spec.ca?.secretName);
    assert.equal(ca?.spec.isCA, true);
    assert.ok(find<Issuer>(rendered, 'Issuer', ca.spec.issuerRef.name).spec.selfSigned);
    for (const o of rendered.filter((r) => r.apiVersion.startsWith('cert-manager.io/'))) assert.equal(o.metadata.namespace, ns);
  });
});

/** The `sh` code blocks of the README's "Deploying" section. */
function deployingBlocks(): string[] {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Deploying\n');
  assert.ok(start >= 0, 'README has a Deploying section');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
}

function block(blocks: string[], marker: string): string {
  const found = blocks.filter((b) => b.includes(marker));
  assert.equal(found.length, 1, `one README block with ${marker}`);
  return found[0] ?? '';
}

/** A TLS handshake with a server using `serving`, verifying like kube-aggregator: against `ca`, for `serverName`. */
async function handshake(serving: { cert: string; key: string }, ca: string, serverName: string): Promise<void> {
  const server = tls.createServer(serving, (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    await new Promise<void>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: serverName }, () => {
        socket.end();
        resolve();
      });
      socket.on('error', reject);
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

/**
 * Runs a README block with `kubectl` a shell function: `create` is the real one with
 * `--dry-run=client -o yaml` (no cluster), anything else is only named on stderr. Returns what
 * the `create` commands print, parsed, and the verbs in order.
 */
function runWithKubectlDryRun(script: string, cwd: string): { created: KubeObject[]; verbs: string[] } {
  const shim = 'kubectl() { verb=$1; [ "$1" = -n ] && verb=$3; echo "kubectl $verb" >&2; '
    + 'if [ "$verb" = create ]; then command kubectl "$@" --dry-run=client -o yaml; echo ---; fi; }\n';
  const out = spawnSync('bash', ['-euo', 'pipefail', '-c', shim + script], { cwd, encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  const verbs = [...out.stderr.matchAll(/^kubectl (\S+)$/gm)].map((m) => m[1] ?? '');
  return { created: parseDocuments(out.stdout).filter((d) => d !== null) as KubeObject[], verbs };
}

describe("README's Redis password", () => {
  it('creates the namespace, then the Secret the manifests mount, with a random password Redis accepts', () => {
    const script = block(deployingBlocks(), 'openssl rand');
    const passwords = [1, 2].map(() => {
      const { created, verbs } = runWithKubectlDryRun(script, root);
      assert.deepEqual(verbs, ['apply', 'create']);
      assert.match(script, /^kubectl apply -f manifests\/namespace\.yaml$/m);
      const [secret, ...more] = created as unknown as (V1Secret & KubeObject)[];
      assert.ok(secret && more.length === 0);
      assert.deepEqual([secret.metadata.namespace, secret.metadata.name, Object.keys(secret.data ?? {})], ['kube-actions', 'kube-actions-redis', ['password']]);
      return Buffer.from(secret.data?.password ?? '', 'base64').toString('latin1');
    });
    for (const p of passwords) assert.match(p, /^[0-9a-f]{64}$/, 'no newline, 32 random bytes');
    assert.notEqual(passwords[0], passwords[1]);
    const mounted = baseObjects.flatMap((o) => ((o as { spec?: { template?: { spec?: V1PodSpec } } }).spec?.template?.spec?.volumes ?? []))
      .flatMap((v) => (v.secret && v.secret.secretName !== servingSecretName(apiserver) ? [v.secret.secretName] : []));
    assert.deepEqual([...new Set(mounted)], ['kube-actions-redis']);
  });

  it('creates, for components/external-redis, the Secret with the URL under the key the component reads', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kube-actions-readme-'));
    try {
      writeFileSync(path.join(dir, 'redis-url'), 'rediss://kube-actions:secret@redis.example.com:6380');
      const { created } = runWithKubectlDryRun(block(deployingBlocks(), '--from-file=url='), dir);
      const secret = created[0] as unknown as V1Secret;
      assert.equal(secret.metadata?.name, 'kube-actions-redis');
      const args = find<V1Deployment>(kustomizeOverlay(['external-redis']), 'Deployment', 'kube-actions-worker').spec?.template.spec?.containers[0]?.args;
      const file = args?.find((a) => a.startsWith('--redis-url-file='))?.split('=')[1] ?? '';
      assert.deepEqual(Object.keys(secret.data ?? {}), [path.posix.basename(file)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("README's TLS set-up with openssl", () => {
  it('makes a serving certificate that kube-apiserver accepts with the caBundle the overlay sets', async () => {
    const blocks = deployingBlocks();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kube-actions-readme-'));
    try {
      symlinkSync(manifestsDir, path.join(dir, 'manifests'));
      for (const marker of ['openssl req', 'cat > deploy/kustomization.yaml']) {
        execFileSync('bash', ['-euo', 'pipefail', '-c', block(blocks, marker)], { cwd: dir, stdio: 'pipe' });
      }
      const rendered = kustomize(path.join(dir, 'deploy'));
      const patched = find<V1APIService>(rendered, 'APIService', 'v1alpha1.kubeactions.dev');
      const caBundle = Buffer.from(patched.spec?.caBundle ?? '', 'base64').toString();
      assert.equal(caBundle, readFileSync(path.join(dir, 'ca.crt'), 'utf8'));
      const images = find<V1Deployment>(rendered, 'Deployment', 'kube-actions-apiserver').spec?.template.spec?.containers.map((c) => c.image);
      assert.deepEqual(images, [`registry.example.com/kube-actions:${pkg.version}`]);

      const serving = { cert: readFileSync(path.join(dir, 'tls.crt'), 'utf8'), key: readFileSync(path.join(dir, 'tls.key'), 'utf8') };
      const service = find<V1Service>(rendered, 'Service', patched.spec?.service?.name ?? '');
      await handshake(serving, caBundle, `${service.metadata?.name}.${service.metadata?.namespace}.svc`);
      await assert.rejects(handshake(serving, caBundle, `${service.metadata?.name}.default.svc`), /does not match|ALTNAME/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
