// A request that never got an answer: kubectl's messages for *url.Error
// (StandardErrorMessage in kubectl pkg/cmd/util/helpers.go).

/** The transport failed (refused, TLS, DNS…) before the server answered. */
export class ConnectionError extends Error {
  constructor(readonly url: URL, override readonly cause: NodeJS.ErrnoException) {
    super(cause.code === 'ECONNREFUSED'
      ? `The connection to the server ${url.host} was refused - did you specify the right host or port?`
      : `Unable to connect to the server: ${cause.message}`);
    this.name = 'ConnectionError';
  }
}

/** `err` unchanged when it is the caller's abort, else a ConnectionError for `url`. */
export function connectionError(url: URL, err: NodeJS.ErrnoException): Error {
  return err.name === 'AbortError' ? err : new ConnectionError(url, err);
}
