// Validation of Kubernetes objects against the OpenAPI schemas of their API versions, with the
// kubernetes-models packages (built-in kinds; cert-manager's custom resources).

interface Model {
  validate(): void;
}
type ModelClass = (new (data: never) => Model) & { apiVersion?: string; kind?: string };

/** Packages holding the models of API groups that are not built into Kubernetes. */
const CUSTOM_GROUPS: Readonly<Record<string, string>> = {
  'cert-manager.io': '@kubernetes-models/cert-manager',
};

/** Whether `apiVersion` belongs to a built-in Kubernetes API group (not a custom resource). */
export function isBuiltIn(apiVersion: string): boolean {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return !(group in CUSTOM_GROUPS);
}

/**
 * Validates `object` against the schema of its `apiVersion` and `kind`; rejects with the schema
 * errors, or with "no schema" when no package has a model for them.
 */
export async function validateObject(object: { apiVersion: string; kind: string }): Promise<void> {
  const group = object.apiVersion.includes('/') ? object.apiVersion.slice(0, object.apiVersion.indexOf('/')) : '';
  const pkg = CUSTOM_GROUPS[group] ?? 'kubernetes-models';
  let module: Record<string, ModelClass | undefined>;
  try {
    module = (await import(`${pkg}/${object.apiVersion}`)) as Record<string, ModelClass | undefined>;
  } catch {
    throw new Error(`no schema for ${object.apiVersion}: ${pkg} has no such API version`);
  }
  const model = module[object.kind];
  if (model?.apiVersion !== object.apiVersion || model.kind !== object.kind) {
    throw new Error(`no schema for ${object.kind} in ${object.apiVersion}`);
  }
  new model(object as never).validate();
}
