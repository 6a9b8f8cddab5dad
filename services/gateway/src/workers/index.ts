export { adminContent, createAdminServer, type AdminSource } from './admin-server.ts';
export type { Metrics, TlsPair } from './messages.ts';
export { workerCount } from './worker-count.ts';
export { startWorkerPool, type WorkerPool, type WorkerPoolOptions } from './worker-pool.ts';
export { assertOnlyOwnListeners, assertPortFree, watchPort } from './port-guard.ts';
