// Discovery documents (`/apis`, `/apis/G`, `/apis/G/V`, aggregated `apidiscovery.k8s.io` v2 and
// v2beta1), computed once from the served resources and kept serialized.
// Shapes: k8s.io/apimachinery/pkg/apis/meta/v1 APIGroupList/APIGroup/APIResourceList and
// k8s.io/api/apidiscovery/v2 APIGroupDiscoveryList; ordering as k8s.io/apiserver's installer.

import { quotedSha512 } from './etag.js';
import { groupVersion } from './resource.js';
import type { ResourceDescriptor } from './resource.js';

/** A precomputed response body. `etag` is the quoted header value, when the endpoint has one. */
export interface DiscoveryDocument {
  body: Buffer;
  contentType: string;
  etag?: string;
}

/** The `apidiscovery.k8s.io` versions clients negotiate for aggregated discovery. */
export type AggregatedDiscoveryVersion = 'v2' | 'v2beta1';

interface GroupVersionForDiscovery {
  groupVersion: string;
  version: string;
}

interface APIGroup {
  name: string;
  versions: GroupVersionForDiscovery[];
  preferredVersion: GroupVersionForDiscovery;
}

const JSON_CONTENT_TYPE = 'application/json';

function jsonDocument(value: unknown, contentType = JSON_CONTENT_TYPE): DiscoveryDocument {
  return { body: Buffer.from(JSON.stringify(value)), contentType };
}

/** Discovery verbs sorted like the installer's `sort.Strings(apiResource.Verbs)`. */
function sortedVerbs(verbs: readonly string[]): string[] {
  return [...new Set(verbs)].sort();
}

const KUBE_VERSION = /^v(\d+)(?:(alpha|beta)(\d+))?$/;

/**
 * apimachinery's `CompareKubeAwareVersionStrings`: positive when `a` sorts before `b` in priority
 * (GA > beta > alpha, then higher major, then higher minor; kube-like before anything else).
 */
export function compareKubeAwareVersions(a: string, b: string): number {
  const ma = KUBE_VERSION.exec(a);
  const mb = KUBE_VERSION.exec(b);
  if (!ma || !mb) return ma ? 1 : mb ? -1 : b < a ? -1 : b > a ? 1 : 0;
  const rank = (m: RegExpExecArray) => (m[2] === undefined ? 2 : m[2] === 'beta' ? 1 : 0);
  if (rank(ma) !== rank(mb)) return rank(ma) - rank(mb);
  if (ma[1] !== mb[1]) return Number(ma[1]) - Number(mb[1]);
  return Number(ma[3] ?? 0) - Number(mb[3] ?? 0);
}

function byName<T>(name: (t: T) => string): (a: T, b: T) => number {
  return (a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0);
}

/** Legacy `APIResource` entries of one resource: the parent first, then its subresources by name. */
function apiResources(r: ResourceDescriptor): Record<string, unknown>[] {
  const parent: Record<string, unknown> = {
    name: r.plural,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: sortedVerbs(r.verbs),
  };
  if (r.shortNames.length > 0) parent['shortNames'] = [...r.shortNames];
  if (r.categories.length > 0) parent['categories'] = [...r.categories];
  const subs = [...r.subresources].sort(byName((s) => s.name)).map((s) => ({
    name: `${r.plural}/${s.name}`,
    singularName: '',
    namespaced: r.namespaced,
    kind: s.kind,
    verbs: sortedVerbs(s.verbs),
  }));
  return [parent, ...subs];
}

/** Aggregated `APIResourceDiscovery` of one resource, subresources in the installer's order. */
function resourceDiscovery(r: ResourceDescriptor): Record<string, unknown> {
  const responseKind = (kind: string) => ({ group: r.group, version: r.version, kind });
  const entry: Record<string, unknown> = {
    resource: r.plural,
    responseKind: responseKind(r.kind),
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: sortedVerbs(r.verbs),
  };
  if (r.shortNames.length > 0) entry['shortNames'] = [...r.shortNames];
  if (r.categories.length > 0) entry['categories'] = [...r.categories];
  if (r.subresources.length > 0) {
    entry['subresources'] = [...r.subresources].sort(byName((s) => s.name)).map((s) => ({
      subresource: s.name,
      responseKind: responseKind(s.kind),
      verbs: sortedVerbs(s.verbs),
    }));
  }
  return entry;
}

/**
 * All discovery documents of a set of served resources (any number of groups and versions; the
 * preferred version of a group is its highest by Kubernetes version priority). Everything is serialized in the
 * constructor, so every accessor is a lookup: discovery must answer in well under 5 s even when
 * every backend is down (spec §1.7).
 */
export class Discovery {
  readonly #groupList: DiscoveryDocument;
  readonly #groups = new Map<string, DiscoveryDocument>();
  readonly #resourceLists = new Map<string, DiscoveryDocument>();
  readonly #aggregated: Record<AggregatedDiscoveryVersion, DiscoveryDocument>;

  constructor(resources: readonly ResourceDescriptor[]) {
    const byGroup = new Map<string, Map<string, ResourceDescriptor[]>>();
    for (const r of resources) {
      const versions = byGroup.get(r.group) ?? new Map<string, ResourceDescriptor[]>();
      versions.set(r.version, [...(versions.get(r.version) ?? []), r]);
      byGroup.set(r.group, versions);
    }
    const groups: APIGroup[] = [...byGroup].map(([name, versions]) => {
      const gvs = sortedVersions(versions).map((version) => ({ groupVersion: groupVersion({ group: name, version }), version }));
      return { name, versions: gvs, preferredVersion: gvs[0] ?? { groupVersion: '', version: '' } };
    });
    this.#groupList = jsonDocument({ kind: 'APIGroupList', apiVersion: 'v1', groups });
    for (const g of groups) this.#groups.set(g.name, jsonDocument({ kind: 'APIGroup', apiVersion: 'v1', ...g }));
    for (const [group, versions] of byGroup) {
      for (const [version, rs] of versions) {
        const gv = groupVersion({ group, version });
        const list = { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources: sortedResources(rs).flatMap(apiResources) };
        this.#resourceLists.set(gv, jsonDocument(list));
      }
    }
    this.#aggregated = aggregatedDocuments(byGroup);
  }

  /** `GET /apis`: the `APIGroupList` (apiVersion v1, as kube-aggregator serves it). */
  apiGroupList(): DiscoveryDocument {
    return this.#groupList;
  }

  /** `GET /apis/<group>`: the `APIGroup`, or undefined when the group is not served. */
  apiGroup(group: string): DiscoveryDocument | undefined {
    return this.#groups.get(group);
  }

  /** `GET /apis/<group>/<version>`: the `APIResourceList`, or undefined when not served. */
  apiResourceList(group: string, version: string): DiscoveryDocument | undefined {
    return this.#resourceLists.get(groupVersion({ group, version }));
  }

  /**
   * `GET /apis` negotiated as `APIGroupDiscoveryList`: content type carries `g=apidiscovery.k8s.io;
   * v=<version>;as=APIGroupDiscoveryList`; both versions share one ETag (of the v2 document),
   * since `Vary: Accept` tells them apart.
   */
  aggregated(version: AggregatedDiscoveryVersion): DiscoveryDocument {
    return this.#aggregated[version];
  }
}

/** Versions of a group, highest priority (the preferred version) first. */
function sortedVersions(versions: Map<string, unknown>): string[] {
  return [...versions.keys()].sort((a, b) => compareKubeAwareVersions(b, a));
}

function sortedResources(rs: readonly ResourceDescriptor[]): ResourceDescriptor[] {
  return [...rs].sort(byName((r) => r.plural));
}

function aggregatedDocuments(
  byGroup: Map<string, Map<string, ResourceDescriptor[]>>,
): Record<AggregatedDiscoveryVersion, DiscoveryDocument> {
  const items = [...byGroup].map(([name, versions]) => ({
    metadata: { name, creationTimestamp: null },
    versions: sortedVersions(versions).map((version) => ({
      version,
      resources: sortedResources(versions.get(version) ?? []).map(resourceDiscovery),
      freshness: 'Current',
    })),
  }));
  const doc = (version: AggregatedDiscoveryVersion) =>
    jsonDocument(
      { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items },
      `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`,
    );
  const v2 = doc('v2');
  const etag = quotedSha512(v2.body);
  return { v2: { ...v2, etag }, v2beta1: { ...doc('v2beta1'), etag } };
}
