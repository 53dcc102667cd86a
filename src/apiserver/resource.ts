// What a served resource looks like from the outside: the facts discovery and OpenAPI are built from.

/** An OpenAPI v3 / JSON schema fragment (structural, as a CRD schema would be). */
export interface JSONSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, JSONSchema>;
  additionalProperties?: JSONSchema | boolean;
  items?: JSONSchema;
  required?: string[];
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
  /** A reference to a named definition, e.g. `io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`. */
  $ref?: string;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  [extension: `x-${string}`]: unknown;
}

/** A query parameter that an endpoint documents (log options, exec options). */
export interface QueryParameter {
  name: string;
  type: 'string' | 'integer' | 'boolean';
  description: string;
  /** Repeated parameter (e.g. exec `command`). */
  array?: boolean;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface SubresourceDescriptor {
  /** `status`, `log`, `exec`, `attach`, `cancel`, `retry`. */
  name: string;
  /** The kind discovery names for it (`WorkflowRun`, `WorkflowRunExecOptions`, …). */
  kind: string;
  /** Discovery verbs, sorted: `["get"]`, `["create","get"]`, `["get","patch","update"]`. */
  verbs: string[];
  /** HTTP methods served on `…/R/N/<name>`; used by OpenAPI. */
  methods: HttpMethod[];
  description: string;
  /** Body kind for POST (a name in `definitions`), if any. */
  requestKind?: string;
  /** `application/json` (default), or `text/plain` for logs, `*\/*` for connect endpoints. */
  produces?: string;
  parameters?: QueryParameter[];
  /** kube-openapi's `x-kubernetes-action` for the operations: `connect` for exec/attach. */
  connect?: boolean;
}

export interface ResourceDescriptor {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  /** Plural resource name, e.g. `workflowruns`. */
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  namespaced: boolean;
  /** Discovery verbs of the main resource, sorted. */
  verbs: string[];
  description: string;
  /**
   * Schema of the object's own fields (`spec`, `status`, …). `apiVersion`, `kind` and `metadata`
   * are added by the OpenAPI builder.
   */
  schema: JSONSchema;
  /** Further named schemas (request bodies of subresources), keyed by kind. */
  definitions: Record<string, JSONSchema>;
  subresources: SubresourceDescriptor[];
  /** Accepted PATCH content types, in the order OpenAPI lists them. */
  patchTypes: string[];
}

export function groupVersion(r: { group: string; version: string }): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}
