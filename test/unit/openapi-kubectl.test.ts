// Drives the real kubectl (v1.32, on PATH) against a throwaway HTTP server that answers discovery
// and OpenAPI from the Discovery and OpenAPI classes: `kubectl explain`, `kubectl api-resources`
// and `kubectl create`'s fieldValidation verifier must all work from our documents alone.

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Discovery } from '../../src/apiserver/discovery.js';
import type { DiscoveryDocument } from '../../src/apiserver/discovery.js';
import { OpenAPI } from '../../src/apiserver/openapi.js';
import { workflowRunDescriptor } from './fixtures/workflowrun-descriptor.js';

const run = promisify(execFile);
const G = 'kubeactions.dev';
const V = 'v1alpha1';

interface Seen {
  method: string;
  url: string;
  accept: string;
}

function startServer(seen: Seen[]): Server {
  const discovery = new Discovery([workflowRunDescriptor()]);
  const openapi = new OpenAPI([workflowRunDescriptor()]);
  const send = (res: ServerResponse, code: number, type: string, body: Buffer | string) => {
    res.writeHead(code, { 'Content-Type': type });
    res.end(body);
  };
  const sendDoc = (res: ServerResponse, doc: DiscoveryDocument | undefined) =>
    doc ? send(res, 200, doc.contentType, doc.body) : send(res, 404, 'text/plain', '404 page not found');
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const accept = req.headers.accept ?? '';
    seen.push({ method: req.method ?? '', url: req.url ?? '', accept });
    if (req.method === 'POST' && url.pathname === `/apis/${G}/${V}/namespaces/default/workflowruns`) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const obj = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { metadata: Record<string, unknown> };
        obj.metadata = { ...obj.metadata, namespace: 'default', uid: '6b1b0b4e-0000-4000-8000-000000000001', resourceVersion: '1', creationTimestamp: '2025-01-01T00:00:00Z' };
        send(res, 201, 'application/json', JSON.stringify(obj));
      });
      return;
    }
    switch (url.pathname) {
      case '/version':
        return send(res, 200, 'application/json', JSON.stringify({ major: '1', minor: '32', gitVersion: 'v1.32.0', platform: 'linux/amd64' }));
      case '/apis':
        return sendDoc(res, accept.includes('v=v2;as=APIGroupDiscoveryList') ? discovery.aggregated('v2') : discovery.apiGroupList());
      case `/apis/${G}`:
        return sendDoc(res, discovery.apiGroup(G));
      case `/apis/${G}/${V}`:
        return sendDoc(res, discovery.apiResourceList(G, V));
      case '/openapi/v3':
        return send(res, 200, 'application/json', openapi.v3Root().body);
      case `/openapi/v3/apis/${G}/${V}`:
        return send(res, 200, 'application/json', openapi.v3GroupVersion(G, V)?.body ?? '');
      case '/openapi/v2':
        return send(res, 406, 'text/plain', '');
      default:
        return send(res, 404, 'text/plain', '404 page not found');
    }
  });
}

describe('real kubectl against our discovery and OpenAPI v3', () => {
  const seen: Seen[] = [];
  let server: Server;
  let dir: string;
  let kubeconfig: string;

  before(async () => {
    server = startServer(seen);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    dir = await mkdtemp(join(tmpdir(), 'kubectl-openapi-'));
    kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: test',
      'clusters: [{name: test, cluster: {server: "http://127.0.0.1:' + port + '"}}]',
      'users: [{name: test, user: {}}]',
      'contexts: [{name: test, context: {cluster: test, user: test, namespace: default}}]',
    ].join('\n'));
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  async function kubectl(...args: string[]): Promise<string> {
    try {
      const { stdout } = await run('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], { timeout: 60_000 });
      return stdout;
    } catch (err) {
      const e = err as { code?: string; stderr?: string; message: string };
      if (e.code === 'ENOENT') assert.fail('kubectl (v1.32) must be on PATH for this test');
      assert.fail(`kubectl ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
    }
  }

  it('explains a nested field (spec.steps) from the v3 document', async () => {
    const out = await kubectl('explain', 'workflowruns.spec.steps', `--api-version=${G}/${V}`);
    assert.match(out, /GROUP:\s+kubeactions\.dev/);
    assert.match(out, /KIND:\s+WorkflowRun/);
    assert.match(out, /VERSION:\s+v1alpha1/);
    assert.match(out, /FIELD:\s+steps <\[\]Object>/);
    assert.match(out, /The steps, run in order\./);
    for (const field of ['name\\s+<string> -required-', 'run\\s+<string> -required-', 'env\\s+<\\[\\]Object>', 'workingDir\\s+<string>', 'timeoutSeconds\\s+<integer>', 'continueOnError\\s+<boolean>']) {
      assert.match(out, new RegExp(field));
    }
  });

  it('explains the resource with its description and the metav1 envelope', async () => {
    const out = await kubectl('explain', 'workflowruns', `--api-version=${G}/${V}`);
    assert.match(out, /WorkflowRun is a one-time run of a CI\/CD workflow\./);
    assert.match(out, /metadata\s+<ObjectMeta>/);
    assert.match(out, /spec\s+<Object> -required-/);
    assert.match(out, /apiVersion\s+<string>/);
    const labels = await kubectl('explain', 'wfr.metadata.labels', `--api-version=${G}/${V}`);
    assert.match(labels, /FIELD:\s+labels <map\[string\]string>/);
    assert.match(labels, /Map of string keys and values/);
  });

  it('lists the resource from aggregated discovery', async () => {
    const out = await kubectl('api-resources', `--api-group=${G}`, '--no-headers');
    assert.match(out, /^workflowruns\s+wfr\s+kubeactions\.dev\/v1alpha1\s+true\s+WorkflowRun\s*$/m);
    assert.ok(seen.some((r) => r.url.startsWith('/apis') && r.accept.includes('as=APIGroupDiscoveryList')));
  });

  it('lets kubectl create trust server-side validation through the inline PATCH fieldValidation parameter', async () => {
    const file = join(dir, 'wr.yaml');
    await writeFile(file, `apiVersion: ${G}/${V}\nkind: WorkflowRun\nmetadata: {name: demo}\nspec:\n  steps: [{name: test, run: "true"}]\n`);
    const before = seen.length;
    const out = await kubectl('create', '-f', file);
    assert.match(out, /workflowrun\.kubeactions\.dev\/demo created/);
    const requests = seen.slice(before);
    const post = requests.find((r) => r.method === 'POST');
    assert.ok(post, 'kubectl sent no POST');
    assert.match(post.url, /^\/apis\/kubeactions\.dev\/v1alpha1\/namespaces\/default\/workflowruns\?/);
    assert.match(post.url, /fieldValidation=Strict/);
    assert.match(post.url, /fieldManager=kubectl-create/);
    assert.ok(!requests.some((r) => r.url.startsWith('/openapi/v2')), 'kubectl fell back to /openapi/v2');
  });
});
