import { dirname } from 'node:path';

export interface ComponentPaths {
  /** Library code (node_modules, packages) every component may read. */
  readonly libraries: readonly string[];
  /** The component's entry file; its directory becomes readable. */
  readonly entry: string;
  readonly configFile: string;
  /** The component's own state directory; it may write there. */
  readonly stateDir: string;
  /** Other directories of its own it may read and write (its keyring). */
  readonly privateDirs: readonly string[];
  /** Other single files it may read (public keys, CA bundle). */
  readonly readableFiles: readonly string[];
  /** Native addons (identity's argon2id, a Rust addon): granted to the one component that needs them. */
  readonly allowAddons?: boolean;
  /** Worker threads (the gateway's, one per core): granted to the one component that runs them. */
  readonly allowWorkers?: boolean;
  /** Child processes (a sidecar's `run` process): granted to the sidecars that start one. */
  readonly allowChildProcess?: boolean;
}

/**
 * What prom-client reads for a process's own memory and file-descriptor metrics (Linux): the
 * component's own entries under /proc/self, nothing of any other process.
 */
const PROCESS_METRICS_FILES = ['/proc/self/status', '/proc/self/limits', '/proc/self/fd'] as const;

/**
 * Node permission-model flags for one component: read its code, the libraries, the config, its own
 * state and keyring and the public files it needs; write only its own state and keyring. No child processes, workers,
 * native addons or WASI — each is granted only where a component must have it.
 */
export function permissionFlags(paths: ComponentPaths): string[] {
  const writes = [paths.stateDir, ...paths.privateDirs];
  const reads = [
    ...paths.libraries,
    dirname(paths.entry),
    paths.configFile,
    ...writes,
    ...paths.readableFiles,
    ...PROCESS_METRICS_FILES,
  ];
  return [
    '--permission',
    ...reads.map((p) => `--allow-fs-read=${p}`),
    ...writes.map((p) => `--allow-fs-write=${p}`),
    ...(paths.allowAddons === true ? ['--allow-addons'] : []),
    ...(paths.allowWorkers === true ? ['--allow-worker'] : []),
    ...(paths.allowChildProcess === true ? ['--allow-child-process'] : []),
    '--disable-warning=ExperimentalWarning',
  ];
}
