import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const ENVIRON = new URL('../../src/cli/environ.js', import.meta.url).href;

describe('forgetEnv', () => {
  it('removes the variable from process.env, from /proc/self/environ and from what children inherit', { skip: process.platform !== 'linux' }, async () => {
    const script = `
      import { execFileSync } from 'node:child_process';
      import { readFileSync } from 'node:fs';
      const { forgetEnv } = await import(${JSON.stringify(ENVIRON)});
      forgetEnv('KA_TEST_SECRET');
      forgetEnv('KA_TEST_UNSET');
      const environ = readFileSync('/proc/self/environ', 'latin1').split('\\0').filter((e) => e !== '');
      const child = execFileSync('sh', ['-c', 'echo "$KA_TEST_SECRET"'], { encoding: 'utf8' });
      process.stdout.write(JSON.stringify({ env: process.env.KA_TEST_SECRET ?? null, environ, child }));`;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, KA_TEST_SECRET: 'hunter2-secret', KA_TEST_KEPT: 'kept' },
    });
    assert.equal(stderr, '');
    const got = JSON.parse(stdout) as { env: string | null; environ: string[]; child: string };
    assert.equal(got.env, null);
    assert.equal(got.child, '\n');
    assert.ok(!got.environ.some((e) => e.includes('hunter2-secret')), got.environ.join('\n'));
    assert.ok(got.environ.includes('KA_TEST_KEPT=kept'), 'the other variables stay');
  });
});
