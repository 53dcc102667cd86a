// Where the repository is, for tests that read its files (compiled tests run from dist/).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The repository root: the nearest directory above the working directory holding kube-actions' package.json. */
export function repoRoot(): string {
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    const name = existsSync(pkg) ? (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name : undefined;
    if (name === 'kube-actions') return dir;
    if (path.dirname(dir) === dir) throw new Error('run the tests from inside the kube-actions repository');
  }
}
