/** One workspace the pack step turns into an npm package. */
export interface Publishable {
  /** The workspace, relative to the repository root. */
  readonly dir: string;
  /** TypeScript directories compiled to `.js` + `.d.ts`, at the same paths (so `import.meta` paths hold). */
  readonly code: readonly string[];
  /** Directories shipped as they are: data the code reads at run time, documentation. */
  readonly assets: readonly string[];
}

/**
 * Every workspace that is published, in dependency order: `@rampart/sdk` and `@rampart/cli` and
 * everything they need at run time. The CLI runs the platform's components from their own packages
 * (`componentEntry`), so the four services, the sidecar and the console they serve are published too.
 * `@rampart/testing` (tests only) and the examples are not.
 */
export const PUBLISHABLE: readonly Publishable[] = [
  { dir: 'packages/errors', code: ['src'], assets: [] },
  { dir: 'packages/config', code: ['src'], assets: [] },
  { dir: 'packages/tokens', code: ['src'], assets: [] },
  { dir: 'packages/mesh', code: ['src'], assets: [] },
  { dir: 'packages/sdk', code: ['src'], assets: ['docs'] },
  // The console's browser modules are served as text, type-stripped by the gateway at start: shipped as sources.
  { dir: 'apps/console', code: ['server'], assets: ['src'] },
  { dir: 'services/mesh', code: ['src'], assets: [] },
  // Detection rules the audit service loads (`SHIPPED_RULES_DIR`).
  { dir: 'services/audit', code: ['src'], assets: ['rules'] },
  // The common-passwords list (`COMMON_PASSWORDS_FILE`).
  { dir: 'services/identity', code: ['src'], assets: ['data'] },
  { dir: 'services/gateway', code: ['src'], assets: [] },
  // The sidecar `up` runs for a service declared with `upstream` (and `rampart sidecar`).
  { dir: 'services/sidecar', code: ['src'], assets: [] },
  // `rampart scan` and `rampart probe`.
  { dir: 'packages/scan', code: ['src'], assets: [] },
  { dir: 'packages/probe', code: ['src'], assets: [] },
  { dir: 'apps/cli', code: ['src'], assets: [] },
];
