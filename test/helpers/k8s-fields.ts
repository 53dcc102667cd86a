// Unknown-field detection for built-in Kubernetes objects, from @kubernetes/client-node's models.
import * as k8s from '@kubernetes/client-node';

interface Attribute {
  baseName: string;
  type: string;
}

const models = k8s as unknown as Record<string, { attributeTypeMap?: Attribute[] } | undefined>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The @kubernetes/client-node model name of a built-in kind (`apps/v1` `Deployment` →
 * `V1Deployment`), or undefined when client-node has no model for it (custom resources).
 */
export function modelName(apiVersion: string, kind: string): string | undefined {
  const version = apiVersion.split('/').at(-1) ?? '';
  const name = `${version.charAt(0).toUpperCase()}${version.slice(1)}${kind}`;
  return models[name]?.attributeTypeMap ? name : undefined;
}

/**
 * Paths (`.spec.template.spec.containers[0].readinesProbe`) of the fields in `value` that the
 * model `type` does not define: what kube-apiserver's strict field validation (kubectl's default)
 * rejects. Checks names only; schema validation checks types and values.
 */
export function unknownFields(value: unknown, type: string, path = ''): string[] {
  const array = /^Array<(.+)>$/.exec(type);
  if (array?.[1] !== undefined) {
    const item = array[1];
    return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(v, item, `${path}[${i}]`)) : [];
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map?.[1] !== undefined) {
    const entry = map[1];
    return isRecord(value) ? Object.entries(value).flatMap(([k, v]) => unknownFields(v, entry, `${path}.${k}`)) : [];
  }
  const attributes = models[type]?.attributeTypeMap;
  if (attributes === undefined || !isRecord(value)) return [];
  return Object.entries(value).flatMap(([key, v]) => {
    const attribute = attributes.find((a) => a.baseName === key);
    return attribute ? unknownFields(v, attribute.type, `${path}.${key}`) : [`${path}.${key}`];
  });
}
