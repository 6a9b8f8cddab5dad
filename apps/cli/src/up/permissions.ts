import { dirname } from 'node:path';

export interface ComponentPaths {
  /** Library code (node_modules, packages) every component may read. */
  readonly libraries: readonly string[];
  /** The component's entry file; its directory becomes readable. */
  readonly entry: string;
  readonly configFile: string;
  /** The component's own state directory, the only place it may write. */
  readonly stateDir: string;
  /** Other single files it may read (public keys, CA bundle). */
  readonly readableFiles: readonly string[];
}

/**
 * Node permission-model flags for one component: read its code, the libraries, the config, its own
 * state and the public files it needs; write only its own state. No child processes, workers,
 * native addons or WASI — each is granted only where a component must have it.
 */
export function permissionFlags(paths: ComponentPaths): string[] {
  const reads = [
    ...paths.libraries,
    dirname(paths.entry),
    paths.configFile,
    paths.stateDir,
    ...paths.readableFiles,
  ];
  return [
    '--permission',
    ...reads.map((p) => `--allow-fs-read=${p}`),
    `--allow-fs-write=${paths.stateDir}`,
    '--disable-warning=ExperimentalWarning',
  ];
}
