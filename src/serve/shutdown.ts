// Graceful shutdown on SIGTERM / SIGINT: the first signal drains the server (no new connections,
// every request already received is answered, workers stopped), after which the process exits 0 by
// itself; a second signal exits at once with 1.
import type { Logger } from './log.js';
import type { MemGuardServer } from './server.js';

/** Installs the handlers; returns a function that removes them. */
export function drainOnSignals(server: MemGuardServer, log: Logger): () => void {
  const signals = ['SIGTERM', 'SIGINT'] as const;
  let received = false;
  const handler = (signal: NodeJS.Signals) => {
    if (received) {
      log('forced-exit', { signal });
      process.exit(1);
    }
    received = true;
    void server.drain(signal);
  };
  for (const s of signals) process.on(s, handler);
  return () => { for (const s of signals) process.off(s, handler); };
}
