// The URL parsed once into what authorization, audit and routing need: a port of
// k8s.io/apiserver/pkg/endpoints/request/requestinfo.go `NewRequestInfo` (1.32), with the
// apiserver's prefixes `/apis` (grouped) and `/api` (groupless).
import { newInternalError } from './errors.js';
import { parseFieldSelector } from './fields.js';
import { parseLabelSelector } from './labels.js';
import { isValidPathSegmentName, parseInt64 } from './validation.js';

/** What a request is about, as authorization, audit and routing see it (Go's `RequestInfo`). */
export interface RequestInfo {
  /** True for `/api/V/…` and `/apis/G/V/…` paths naming a resource. */
  isResourceRequest: boolean;
  /** The (percent-decoded) URL path. */
  path: string;
  /** Kube verb (`get`, `list`, `watch`, `create`, …); the lower-case HTTP method for non-resource paths. */
  verb: string;
  apiPrefix: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** Path parts from the resource on: `[resource, name, subresource, …]`. */
  parts: string[];
}

const API_PREFIXES: ReadonlySet<string> = new Set(['api', 'apis']);
const GROUPLESS_API_PREFIXES: ReadonlySet<string> = new Set(['api']);
const SPECIAL_VERBS: ReadonlySet<string> = new Set(['proxy', 'watch']);
const SPECIAL_VERBS_NO_SUBRESOURCES: ReadonlySet<string> = new Set(['proxy']);
const NAMESPACE_SUBRESOURCES: ReadonlySet<string> = new Set(['status', 'finalize']);

const METHOD_VERBS: Readonly<Record<string, string>> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** Go's `splitPath`: trim slashes, split on `/`. */
function splitPath(path: string): string[] {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? [] : trimmed.split('/');
}

/** Go's URL.Path is the percent-decoded path; an undecodable path is kept as sent. */
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** Whether Go's `ParameterCodec.DecodeParameters` into ListOptions would fail on these values. */
function listOptionsDecodeFails(query: URLSearchParams): boolean {
  for (const intParam of ['limit', 'timeoutSeconds']) {
    const v = query.get(intParam);
    if (v !== null && parseInt64(v) === undefined) return true;
  }
  try {
    parseLabelSelector(query.get('labelSelector') ?? '');
    parseFieldSelector(query.get('fieldSelector') ?? '');
    return false;
  } catch {
    return true;
  }
}

/** Go's bool query conversion: present and not `0`/`false` (any case) means true. */
function watchRequested(query: URLSearchParams): boolean {
  const v = query.get('watch');
  return v !== null && v !== '0' && v.toLowerCase() !== 'false';
}

/** A collection GET becomes list or watch; an exact `metadata.name` field selector names it. */
function resolveCollectionGet(info: RequestInfo, query: URLSearchParams): void {
  info.verb = watchRequested(query) ? 'watch' : 'list';
  if (listOptionsDecodeFails(query)) return;
  const name = parseFieldSelector(query.get('fieldSelector') ?? '').exactValue('metadata.name');
  if (name !== undefined && isValidPathSegmentName(name).length === 0) info.name = name;
}

/**
 * Go's `RequestInfoFactory.NewRequestInfo`. `path` is the request path as sent (percent-encoded,
 * without query); `query` its parameters. Throws a 500 InternalError StatusError where Go fails
 * (`/api/V/watch` with nothing after it).
 */
export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const decoded = decodePath(path);
  const info: RequestInfo = {
    isResourceRequest: false,
    path: decoded,
    verb: method.toLowerCase(),
    apiPrefix: '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
    parts: [],
  };
  let parts = splitPath(decoded);
  if (parts.length < 3 || !API_PREFIXES.has(parts[0] ?? '')) return info;
  info.apiPrefix = parts[0] ?? '';
  parts = parts.slice(1);
  if (!GROUPLESS_API_PREFIXES.has(info.apiPrefix)) {
    if (parts.length < 3) return info;
    info.apiGroup = parts[0] ?? '';
    parts = parts.slice(1);
  }
  info.isResourceRequest = true;
  info.apiVersion = parts[0] ?? '';
  parts = parts.slice(1);

  const first = parts[0] ?? '';
  if (SPECIAL_VERBS.has(first)) {
    if (parts.length < 2) {
      const search = query.toString();
      const url = search === '' ? path : `${path}?${search}`;
      throw newInternalError(`failed to create RequestInfo: unable to determine kind and namespace from url, ${url}`);
    }
    info.verb = first;
    parts = parts.slice(1);
  } else {
    info.verb = METHOD_VERBS[method.toUpperCase()] ?? '';
  }

  if (parts[0] === 'namespaces' && parts.length > 1) {
    info.namespace = parts[1] ?? '';
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] ?? '')) parts = parts.slice(2);
  }
  info.parts = parts;
  if (parts.length >= 3 && !SPECIAL_VERBS_NO_SUBRESOURCES.has(info.verb)) info.subresource = parts[2] ?? '';
  if (parts.length >= 2) info.name = parts[1] ?? '';
  if (parts.length >= 1) info.resource = parts[0] ?? '';

  if (info.name === '' && info.verb === 'get') resolveCollectionGet(info, query);
  if (info.name === '' && info.verb === 'delete') info.verb = 'deletecollection';
  return info;
}
