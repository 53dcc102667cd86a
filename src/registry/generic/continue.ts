// Continue tokens: the list's resourceVersion and the last member it returned, opaque to clients.
import { newBadRequest } from '../../apiserver/errors.js';

export interface ContinueToken {
  rv: string;
  start: string;
}

export function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'kubeactions/1', rv: t.rv, start: t.start })).toString('base64url');
}

/** A resourceVersion is a uint64 (and a Redis stream id's first part). */
function isUint64(s: string): boolean {
  return /^[0-9]{1,20}$/.test(s) && BigInt(s) <= 0xffff_ffff_ffff_ffffn;
}

export function decodeContinue(token: string): ContinueToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw newBadRequest('invalid continue token: continue key is not valid: malformed token');
  }
  const t = parsed as { v?: unknown; rv?: unknown; start?: unknown } | null;
  if (!t || t.v !== 'kubeactions/1' || typeof t.rv !== 'string' || !isUint64(t.rv) || typeof t.start !== 'string') {
    throw newBadRequest('invalid continue token: continue key is not valid: unknown token format');
  }
  return { rv: t.rv, start: t.start };
}
