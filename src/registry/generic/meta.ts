// ObjectMeta rules shared by every resource: generated names, timestamps, validation.
import { randomInt } from 'node:crypto';
import {
  type FieldError, invalid, isDNS1123Subdomain, validateAnnotations, validateLabels,
} from '../../apiserver/field-errors.js';
import type { ObjectMeta } from '../../apiserver/types.js';

// k8s.io/apiserver/pkg/storage/names/generate.go
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_NAME_LENGTH = 63;
const RANDOM_LENGTH = 5;
const MAX_GENERATED_NAME_LENGTH = MAX_NAME_LENGTH - RANDOM_LENGTH;

export function generateName(base: string): string {
  const prefix = base.length > MAX_GENERATED_NAME_LENGTH ? base.slice(0, MAX_GENERATED_NAME_LENGTH) : base;
  let suffix = '';
  for (let i = 0; i < RANDOM_LENGTH; i++) suffix += ALPHANUMS[randomInt(ALPHANUMS.length)];
  return prefix + suffix;
}

/** ValidateObjectMeta for a namespaced object whose name must be a DNS-1123 subdomain. */
export function validateObjectMeta(meta: ObjectMeta): FieldError[] {
  const errs: FieldError[] = [];
  if (meta.generateName) {
    for (const msg of isDNS1123Subdomain(meta.generateName.replace(/-$/, 'a'))) {
      errs.push(invalid('metadata.generateName', meta.generateName, msg));
    }
  }
  if (meta.name) {
    for (const msg of isDNS1123Subdomain(meta.name)) errs.push(invalid('metadata.name', meta.name, msg));
  }
  errs.push(...validateLabels(meta.labels, 'metadata.labels'));
  errs.push(...validateAnnotations(meta.annotations, 'metadata.annotations'));
  return errs;
}
