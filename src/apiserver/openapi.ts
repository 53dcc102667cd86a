// `/openapi/v2` and `/openapi/v3[/apis/G/V]`, computed once from the served resources and kept
// serialized with their ETags and hashes (kube-openapi `pkg/handler` and `pkg/handler3`).

import { quotedSha512, sha512Hex } from './etag.js';
import { metaDefinitionsFor, resourceDefinitions } from './openapi-definitions.js';
import { renderDocument } from './openapi-render.js';
import type { DocumentDefinitions, DocumentInfo, SpecVersion } from './openapi-render.js';
import { routesFor } from './openapi-routes.js';
import { groupVersion } from './resource.js';
import type { ResourceDescriptor } from './resource.js';

/** A precomputed document; `etag` is the quoted header value (`"<UPPER-HEX sha512>"`). */
export interface OpenAPIDocument {
  body: Buffer;
  etag: string;
}

/** A v3 group-version document; `hash` is the unquoted value of `?hash=` and of the ETag. */
export interface OpenAPIGroupVersionDocument extends OpenAPIDocument {
  hash: string;
}

export interface OpenAPIOptions {
  /** `info.title` of the documents. */
  title?: string;
  /** `info.version` of the documents. */
  version?: string;
}

function build(resources: readonly ResourceDescriptor[], info: DocumentInfo, v: SpecVersion): Buffer {
  const gvs = [...new Map(resources.map((r) => [groupVersion(r), { group: r.group, version: r.version }])).values()];
  const defs: DocumentDefinitions = {
    resource: Object.assign({}, ...resources.map(resourceDefinitions)),
    meta: metaDefinitionsFor(gvs),
  };
  return Buffer.from(JSON.stringify(renderDocument(resources.flatMap(routesFor), defs, info, v)));
}

/**
 * The OpenAPI documents of a set of served resources: one Swagger 2.0 document with everything,
 * one OpenAPI 3.0 document per group-version, and the v3 discovery root listing
 * `apis/<G>/<V>` → `/openapi/v3/apis/<G>/<V>?hash=<H>`. H is the upper-case hex SHA-512 of the
 * group-version document, so it changes whenever the document does (kubectl caches hash URLs
 * forever). Everything is serialized in the constructor; accessors are lookups.
 */
export class OpenAPI {
  readonly #v2: OpenAPIDocument;
  readonly #v3Root: OpenAPIDocument;
  readonly #v3 = new Map<string, OpenAPIGroupVersionDocument>();

  constructor(resources: readonly ResourceDescriptor[], options: OpenAPIOptions = {}) {
    const info: DocumentInfo = { title: options.title ?? 'kube-actions', version: options.version ?? 'unversioned' };
    const v2 = build(resources, info, 'v2');
    this.#v2 = { body: v2, etag: quotedSha512(v2) };
    const byGroupVersion = new Map<string, ResourceDescriptor[]>();
    for (const r of resources) byGroupVersion.set(groupVersion(r), [...(byGroupVersion.get(groupVersion(r)) ?? []), r]);
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const [gv, rs] of [...byGroupVersion].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const body = build(rs, info, 'v3');
      const hash = sha512Hex(body);
      this.#v3.set(gv, { body, etag: `"${hash}"`, hash });
      paths[`apis/${gv}`] = { serverRelativeURL: `/openapi/v3/apis/${gv}?hash=${hash}` };
    }
    const root = Buffer.from(JSON.stringify({ paths }));
    this.#v3Root = { body: root, etag: quotedSha512(root) };
  }

  /** `GET /openapi/v2`: the Swagger 2.0 JSON document. */
  v2(): OpenAPIDocument {
    return this.#v2;
  }

  /** `GET /openapi/v3`: `{"paths":{"apis/G/V":{"serverRelativeURL":…}}}`, only `apis/<G>/<V>` keys. */
  v3Root(): OpenAPIDocument {
    return this.#v3Root;
  }

  /** `GET /openapi/v3/apis/<group>/<version>`, or undefined when that group-version is not served. */
  v3GroupVersion(group: string, version: string): OpenAPIGroupVersionDocument | undefined {
    return this.#v3.get(groupVersion({ group, version }));
  }
}
