// The README's quick start, word for word, with the real kubectl against the real server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type DevServer, kubectl, kubectlStream, startDevServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const EXAMPLE = fileURLToPath(new URL('../../../manifests/examples/workflowrun.yaml', import.meta.url));

function run(name: string, script: string, extra = ''): string {
  return `apiVersion: kubeactions.dev/v1alpha1
kind: WorkflowRun
metadata:
  name: ${name}
  labels: {suite: e2e}
spec:
${extra}  steps:
    - name: main
      run: ${JSON.stringify(script)}
`;
}

describe('kubectl against kube-actions dev', { timeout: 240_000 }, () => {
  let server: DevServer;
  before(async () => {
    server = await startDevServer();
  });
  after(async () => {
    await server?.stop();
  });

  it('create -f with generateName, get -w through Pending/Running/Succeeded, wait, log', async () => {
    const created = await kubectl(server, ['create', '-f', EXAMPLE, '-o', 'name']);
    assert.equal(created.code, 0, created.stderr);
    const name = created.stdout.trim().replace(/^workflowrun\.kubeactions\.dev\//, '');
    assert.match(name, /^hello-[bcdfghjklmnpqrstvwxz2456789]{5}$/);

    const watch = kubectlStream(server, ['get', 'workflowruns', name, '-w']);
    const waited = await kubectl(server, ['wait', '--for=condition=Succeeded', `wfr/${name}`, '--timeout=60s']);
    assert.equal(waited.code, 0, waited.stderr);
    assert.match(waited.stdout, /condition met/);

    const log = await kubectl(server, ['get', '--raw', `/apis/kubeactions.dev/v1alpha1/namespaces/default/workflowruns/${name}/log`]);
    assert.equal(log.code, 0, log.stderr);
    assert.equal(log.stdout, `hello from hello step ${name}\nbuilding part 1\nbuilding part 2\nbuilding part 3\ndone\n`);

    const got = await kubectl(server, ['get', 'wfr', name, '-o', 'json']);
    const obj = JSON.parse(got.stdout) as { status: { phase: string; steps: { phase: string; exitCode: number }[] } };
    assert.equal(obj.status.phase, 'Succeeded');
    assert.deepEqual(obj.status.steps.map((s) => s.phase), ['Succeeded', 'Succeeded', 'Succeeded']);

    await waitFor(() => /Succeeded/.test(watch.output()), { timeoutMs: 10_000, message: 'get -w to print Succeeded' });
    watch.stop();
    const phases = watch.output().split('\n').filter(Boolean).map((l) => l.split(/\s+/)[1]);
    assert.equal(phases[0], 'PHASE');
    for (const p of ['Running', 'Succeeded']) assert.ok(phases.includes(p), `get -w saw ${p}: ${watch.output()}`);
    assert.ok(phases.indexOf('Running') < phases.lastIndexOf('Succeeded'));
  });

  it('get, get -o wide, get -A show the table columns', async () => {
    const c = await kubectl(server, ['create', '-f', '-'], { input: run('columns', 'echo hi') });
    assert.equal(c.code, 0, c.stderr);
    await kubectl(server, ['wait', '--for=condition=Succeeded', 'wfr/columns', '--timeout=60s']);
    const plain = await kubectl(server, ['get', 'workflowruns']);
    assert.match(plain.stdout.split('\n')[0] ?? '', /^NAME\s+PHASE\s+STEPS\s+AGE\s+DURATION\s*$/);
    assert.match(plain.stdout, /columns\s+Succeeded\s+1\/1\s+\d+s\s+\d+s/);
    const wide = await kubectl(server, ['get', 'wfr', 'columns', '-o', 'wide']);
    assert.match(wide.stdout.split('\n')[0] ?? '', /ATTEMPT\s+WORKER/);
    assert.match(wide.stdout, /columns\s+Succeeded\s+1\/1\s+\S+\s+\S+\s+1\s+\S+-\d+/);
    const all = await kubectl(server, ['get', 'wfr', '-A']);
    assert.match(all.stdout.split('\n')[0] ?? '', /^NAMESPACE\s+NAME\s+PHASE/);
    assert.match(all.stdout, /default\s+columns\s+Succeeded/);
  });

  it('a failing step fails the run; wait --for=condition=Succeeded=False works', async () => {
    const c = await kubectl(server, ['create', '-f', '-'], { input: run('failing', 'echo before; exit 3') });
    assert.equal(c.code, 0, c.stderr);
    const w = await kubectl(server, ['wait', '--for=condition=Succeeded=False', 'wfr/failing', '--timeout=60s']);
    assert.equal(w.code, 0, w.stderr);
    const got = JSON.parse((await kubectl(server, ['get', 'wfr', 'failing', '-o', 'json'])).stdout) as {
      status: { phase: string; conditions: { type: string; status: string; reason: string; message: string }[]; steps: { exitCode: number }[] };
    };
    assert.equal(got.status.phase, 'Failed');
    const cond = got.status.conditions.find((x) => x.type === 'Succeeded');
    assert.equal(cond?.status, 'False');
    assert.equal(cond?.reason, 'StepFailed');
    assert.match(cond?.message ?? '', /step "main" failed: exit code 3/);
    assert.equal(got.status.steps[0]?.exitCode, 3);
  });

  it('explain, api-resources, label, errors as kubectl prints them', async () => {
    const explain = await kubectl(server, ['explain', 'workflowrun.spec.steps']);
    assert.equal(explain.code, 0, explain.stderr);
    assert.match(explain.stdout, /KIND:\s+WorkflowRun/);
    assert.match(explain.stdout, /continueOnError/);
    assert.match(explain.stdout, /timeoutSeconds/);

    const res = await kubectl(server, ['api-resources', '--api-group=kubeactions.dev', '-o', 'wide']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /workflowruns\s+wfr\s+kubeactions\.dev\/v1alpha1\s+true\s+WorkflowRun\s+create,delete,deletecollection,get,list,patch,update,watch\s+kubeactions/);

    await kubectl(server, ['create', '-f', '-'], { input: run('labelled', 'true') });
    const label = await kubectl(server, ['label', 'wfr', 'labelled', 'team=ci']);
    assert.equal(label.code, 0, label.stderr);
    const byLabel = await kubectl(server, ['get', 'wfr', '-l', 'team=ci', '-o', 'name']);
    assert.equal(byLabel.stdout.trim(), 'workflowrun.kubeactions.dev/labelled');

    const missing = await kubectl(server, ['get', 'wfr', 'nope']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /Error from server \(NotFound\): workflowruns\.kubeactions\.dev "nope" not found/);
    const dup = await kubectl(server, ['create', '-f', '-'], { input: run('labelled', 'true') });
    assert.match(dup.stderr, /Error from server \(AlreadyExists\): error when creating "STDIN": workflowruns\.kubeactions\.dev "labelled" already exists/);
    const bad = await kubectl(server, ['create', '-f', '-'], { input: run('Bad_Name', 'true') });
    assert.match(bad.stderr, /The WorkflowRun "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    const unknown = await kubectl(server, ['create', '-f', '-'], { input: run('unknown-field', 'true', '  foo: bar\n') });
    assert.match(unknown.stderr, /unknown field "spec\.foo"/);
    const immutable = await kubectl(server, ['patch', 'wfr', 'labelled', '--type=merge', '-p', '{"spec":{"timeoutSeconds":5}}']);
    assert.match(immutable.stderr, /spec: Invalid value: .*field is immutable/);
    const smp = await kubectl(server, ['patch', 'wfr', 'labelled', '-p', '{"metadata":{"labels":{"x":"y"}}}']);
    assert.match(smp.stderr, /application\/strategic-merge-patch\+json is not supported/);
  });

  it('delete --all removes every run and kubectl sees them go', async () => {
    await kubectl(server, ['create', '-f', '-'], { input: run('to-delete', 'sleep 1000') });
    await waitFor(async () => (await kubectl(server, ['get', 'wfr', 'to-delete', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running',
      { timeoutMs: 30_000, intervalMs: 200, message: 'to-delete running' });
    const del = await kubectl(server, ['delete', 'wfr', '--all', '--timeout=60s']);
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stdout, /workflowrun\.kubeactions\.dev "to-delete" deleted/);
    const left = await kubectl(server, ['get', 'wfr', '-o', 'name']);
    assert.equal(left.stdout.trim(), '');
  });
});
