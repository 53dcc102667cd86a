// Graceful shutdown of the HTTPS server (after SIGTERM): accept nothing new, end long-running
// requests cleanly (watches and log follows end, websockets close with 1001), let the others
// finish, and cut what is left once the grace period is over.
import type https from 'node:https';

/** What the app ends when the server shuts down (BuiltApp.shutdown). */
export type EndLongRunning = () => void;

/**
 * Stops `server` gracefully: resolves once every connection has closed, or after `graceMs`
 * when the connections still open are destroyed.
 */
export async function closeGracefully(server: https.Server, endLongRunning: EndLongRunning, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  endLongRunning();
  // Keep-alive connections become idle as their last response ends; close them as they do.
  const idle = setInterval(() => server.closeIdleConnections(), 50);
  const cut = setTimeout(() => server.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearInterval(idle);
    clearTimeout(cut);
  }
}
