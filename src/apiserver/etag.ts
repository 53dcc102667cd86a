// Content hashes as the apiserver and kube-openapi compute them for ETags and `?hash=` URLs.

import { createHash } from 'node:crypto';

/** Upper-case hex SHA-512 (Go `fmt.Sprintf("%X", sha512.Sum512(data))`). */
export function sha512Hex(data: Buffer | string): string {
  return createHash('sha512').update(data).digest('hex').toUpperCase();
}

/** The ETag header value of a document: `"<UPPER-HEX sha512>"` (Go `strconv.Quote` of the hash). */
export function quotedSha512(data: Buffer | string): string {
  return `"${sha512Hex(data)}"`;
}
