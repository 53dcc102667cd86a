// The storage contract (after k8s.io/apiserver pkg/registry/rest/resttest): every storage of
// the generic machinery must pass it. Backends call runStorageContract with a factory.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAlreadyExists, isConflict, isInvalid, isNotFound, isResourceExpired, isStatusError } from '../../src/apiserver/errors.js';
import { parseFieldSelector } from '../../src/apiserver/fields.js';
import { parseLabelSelector } from '../../src/apiserver/labels.js';
import type {
  CollectionDeleter, Creater, Getter, GracefulDeleter, Lister, RequestContext, Updater, WatchEvent, Watcher,
} from '../../src/apiserver/rest.js';
import type { KubeObject } from '../../src/apiserver/types.js';
import { waitFor } from './wait.js';

export type ContractStorage = Getter & Lister & Watcher & Creater & Updater & GracefulDeleter & CollectionDeleter;

export interface ContractSubject {
  storage: ContractStorage;
  /** A valid new object named `name` (or generateName when name is undefined). */
  newObject(name: string | undefined, labels?: Record<string, string>): KubeObject;
  /** Makes the stream of changes drop everything before now (for 410 tests). */
  trimHistory(): Promise<void>;
  close(): Promise<void>;
}

export function ctx(namespace = 'default', dryRun = false): RequestContext {
  return { user: { name: 'test', groups: ['system:masters'] }, namespace, signal: new AbortController().signal, warnings: [], dryRun };
}

const everything = { labelSelector: parseLabelSelector(''), fieldSelector: parseFieldSelector('') };

function rv(o: KubeObject): bigint {
  return BigInt(o.metadata?.resourceVersion ?? '0');
}

async function expectStatus(p: Promise<unknown>, pred: (e: unknown) => boolean, what: string): Promise<void> {
  await assert.rejects(p, (e) => {
    assert.ok(isStatusError(e), `${what}: a StatusError`);
    assert.ok(pred(e), `${what}: got ${JSON.stringify((e as { status: unknown }).status)}`);
    return true;
  });
}

export function runStorageContract(name: string, factory: () => Promise<ContractSubject>): void {
  describe(`storage contract: ${name}`, () => {
    it('create/get round-trip with system fields, generateName, 409 on a taken name', async () => {
      const s = await factory();
      try {
        const created = (await s.storage.create(ctx(), s.newObject('a1', { app: 'x' }))).object;
        assert.equal(created.metadata?.name, 'a1');
        assert.equal(created.metadata?.namespace, 'default');
        assert.match(created.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
        assert.match(created.metadata?.creationTimestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        assert.ok(rv(created) > 0n);
        const got = (await s.storage.get(ctx(), 'a1')).object;
        assert.deepEqual(got, created);
        const gen = (await s.storage.create(ctx(), s.newObject(undefined))).object;
        assert.match(gen.metadata?.name ?? '', /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
        await expectStatus(s.storage.create(ctx(), s.newObject('a1')), isAlreadyExists, 'second create');
        await expectStatus(s.storage.get(ctx(), 'nope'), isNotFound, 'get missing');
        await expectStatus(s.storage.get(ctx('other'), 'a1'), isNotFound, 'get in another namespace');
      } finally {
        await s.close();
      }
    });

    it('dry-run create validates but persists nothing; invalid names are 422', async () => {
      const s = await factory();
      try {
        await s.storage.create(ctx('default', true), s.newObject('dry'));
        await expectStatus(s.storage.get(ctx(), 'dry'), isNotFound, 'dry-run object');
        await expectStatus(s.storage.create(ctx(), s.newObject('Bad_Name')), isInvalid, 'bad name');
      } finally {
        await s.close();
      }
    });

    it('resourceVersions increase strictly over creates, updates and deletes', async () => {
      const s = await factory();
      try {
        const a = (await s.storage.create(ctx(), s.newObject('m1'))).object;
        const b = (await s.storage.update(ctx(), 'm1', (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { v: '2' } } }))).object;
        const c = (await s.storage.create(ctx(), s.newObject('m2'))).object;
        const d = (await s.storage.delete(ctx(), 'm2', {})).object;
        assert.ok(rv(a) < rv(b) && rv(b) < rv(c) && rv(c) < rv(d));
        assert.deepEqual(b.metadata?.labels, { v: '2' });
        await expectStatus(
          s.storage.update(ctx(), 'm1', (cur) => ({ ...cur, metadata: { ...cur.metadata, resourceVersion: String(a.metadata?.resourceVersion) } })),
          isConflict, 'stale resourceVersion');
        await expectStatus(s.storage.delete(ctx(), 'm1', { preconditions: { uid: 'other' } }), isConflict, 'uid precondition');
        await expectStatus(s.storage.delete(ctx(), 'm2', {}), isNotFound, 'delete twice');
      } finally {
        await s.close();
      }
    });

    it('lists per namespace and across namespaces, with selectors and consistent pages', async () => {
      const s = await factory();
      try {
        for (const n of ['l1', 'l2', 'l3', 'l4', 'l5']) await s.storage.create(ctx(), s.newObject(n, { n }));
        await s.storage.create(ctx('other'), s.newObject('o1'));
        const all = await s.storage.list(ctx(''), everything);
        assert.equal(all.items.length, 6);
        const ns = await s.storage.list(ctx(), everything);
        assert.deepEqual(ns.items.map((e) => e.object.metadata?.name), ['l1', 'l2', 'l3', 'l4', 'l5']);
        const sel = await s.storage.list(ctx(), { ...everything, labelSelector: parseLabelSelector('n in (l2,l4)') });
        assert.deepEqual(sel.items.map((e) => e.object.metadata?.name), ['l2', 'l4']);
        const p1 = await s.storage.list(ctx(), { ...everything, limit: 2 });
        assert.deepEqual(p1.items.map((e) => e.object.metadata?.name), ['l1', 'l2']);
        assert.equal(p1.remainingItemCount, 3);
        assert.ok(p1.continue);
        await s.storage.update(ctx(), 'l1', (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { changed: 'yes' } } }));
        const p2 = await s.storage.list(ctx(), { ...everything, limit: 2, continue: p1.continue });
        assert.deepEqual(p2.items.map((e) => e.object.metadata?.name), ['l3', 'l4']);
        assert.equal(p2.resourceVersion, p1.resourceVersion, 'pages report the first page\'s resourceVersion');
        await s.storage.update(ctx(), 'l5', (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { changed: 'yes' } } }));
        await expectStatus(s.storage.list(ctx(), { ...everything, limit: 2, continue: p2.continue }), isResourceExpired, 'continue after a change ahead of it');
      } finally {
        await s.close();
      }
    });

    it('watch replays from a resourceVersion, follows live, honours selectors, and expires', async () => {
      const s = await factory();
      try {
        const first = (await s.storage.create(ctx(), s.newObject('w1', { watch: 'yes' }))).object;
        const events: WatchEvent[] = [];
        const errors: unknown[] = [];
        const handle = await s.storage.watch(ctx(), { ...everything, labelSelector: parseLabelSelector('watch=yes'), resourceVersion: first.metadata?.resourceVersion, sendInitialEvents: false },
          { event: (e) => events.push(e), error: (e) => errors.push(e) });
        await s.storage.update(ctx(), 'w1', (cur) => ({ ...cur, metadata: { ...cur.metadata, annotations: { a: '1' } } }));
        await s.storage.create(ctx(), s.newObject('w2', { watch: 'no' }));
        await s.storage.update(ctx(), 'w2', (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { watch: 'yes' } } }));
        await s.storage.update(ctx(), 'w1', (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { watch: 'no' } } }));
        await s.storage.create(ctx('other'), s.newObject('w3', { watch: 'yes' }));
        await s.storage.delete(ctx(), 'w2', {});
        await waitFor(() => events.length >= 4, { timeoutMs: 5000, message: 'four events' });
        assert.deepEqual(events.map((e) => `${e.type} ${e.entity?.object.metadata?.name}`),
          ['MODIFIED w1', 'ADDED w2', 'DELETED w1', 'DELETED w2']);
        const rvs = events.map((e) => BigInt(e.resourceVersion));
        assert.deepEqual([...rvs].sort((x, y) => (x < y ? -1 : 1)), rvs, 'in order');
        assert.ok(BigInt(handle.progress()) >= rvs[rvs.length - 1]!);
        handle.stop();
        assert.equal(errors.length, 0);

        const initial: WatchEvent[] = [];
        const h2 = await s.storage.watch(ctx(''), { ...everything, sendInitialEvents: true }, { event: (e) => initial.push(e), error: (e) => errors.push(e) });
        h2.stop();
        assert.deepEqual(initial.map((e) => e.type), ['ADDED', 'ADDED', 'BOOKMARK']);
        assert.equal(initial[2]?.initialEventsEnd, true);

        await s.trimHistory();
        const expired: unknown[] = [];
        await s.storage.watch(ctx(), { ...everything, resourceVersion: first.metadata?.resourceVersion, sendInitialEvents: false },
          { event: () => undefined, error: (e) => expired.push(e) });
        assert.equal(expired.length, 1);
        assert.ok(isResourceExpired(expired[0]));
        assert.match((expired[0] as Error).message, /^too old resource version: \d+ \(\d+\)$/);
      } finally {
        await s.close();
      }
    });

    it('deletecollection deletes what the selector matches', async () => {
      const s = await factory();
      try {
        for (const n of ['d1', 'd2', 'd3']) await s.storage.create(ctx(), s.newObject(n, { del: n === 'd2' ? 'keep' : 'go' }));
        const deleted = await s.storage.deleteCollection(ctx(), { ...everything, labelSelector: parseLabelSelector('del=go') }, {});
        assert.deepEqual(deleted.map((e) => e.object.metadata?.name).sort(), ['d1', 'd3']);
        const left = await s.storage.list(ctx(), everything);
        assert.deepEqual(left.items.map((e) => e.object.metadata?.name), ['d2']);
      } finally {
        await s.close();
      }
    });
  });
}
