import type { Logger } from './log/index.ts';

/** Longest a graceful stop may take before the process exits anyway. */
export const SHUTDOWN_TIMEOUT_MS = 4500;

/**
 * How a Rampart component ends: on SIGTERM or SIGINT it runs `stop` (stop accepting, finish what
 * is in flight) and exits 0, or 1 if that fails or takes longer than `SHUTDOWN_TIMEOUT_MS`. Run by
 * a supervisor, it also exits at once when the IPC channel closes — the supervisor is gone, and
 * its end of stdout with it, so even logging could block.
 *
 * @example
 * stopOnSignals(log, () => gateway.stop());
 */
export function stopOnSignals(log: Logger, stop: () => Promise<void>): void {
  const shutdown = (signal: NodeJS.Signals): void => {
    log.info({ signal }, 'stopping');
    setTimeout(() => process.exit(1), SHUTDOWN_TIMEOUT_MS).unref();
    stop().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  if (process.send !== undefined) process.once('disconnect', () => process.exit(0));
}
