// Per-resource policy for the generic Redis-backed store (after k8s registry strategies):
// what a new object gets, what may change, which fields selectors see, when it expires.
import type { FieldError } from '../../apiserver/field-errors.js';
import type { ResourceDescriptor } from '../../apiserver/resource.js';
import type { SelectableFields } from '../../apiserver/rest.js';
import type { KubeObject } from '../../apiserver/types.js';

export interface Strategy extends SelectableFields {
  resource: ResourceDescriptor;
  /** Sets defaults and the initial status of a new object. */
  prepareForCreate(obj: KubeObject): void;
  /** Validates a new object (metadata is validated by the store). */
  validate(obj: KubeObject): FieldError[];
  /**
   * Carries over what the main resource may not change (e.g. `status`, an immutable `spec`)
   * from `old` into `obj`.
   */
  prepareForUpdate(obj: KubeObject, old: KubeObject): void;
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[];
  /** Not finished: kept in the active set that workers reconcile. */
  isActive(obj: KubeObject): boolean;
  /** When the object is to be deleted by its TTL (ms since the epoch), if ever. */
  expiresAt(obj: KubeObject): number | undefined;
}
