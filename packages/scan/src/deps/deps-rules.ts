import { ruleRegistry, type Rule } from '../rule.ts';

/** The dependency rules: known advisories of locked packages, and what the lockfiles do not let us check. */
export const DEPS_RULES: ReadonlyMap<string, Rule> = ruleRegistry('deps', [
  {
    id: 'deps/known-vulnerability',
    name: 'KnownVulnerability',
    short: 'A locked package version has a published advisory',
    why: 'A known vulnerability in a dependency is the cheapest attack there is: the advisory tells everyone what is wrong and often how to exploit it. The finding takes the advisory’s severity and CWEs.',
    fix: 'upgrade the package to its fixed version (`npm install <name>@<fixed>` for a direct dependency; for a transitive one, update the package that pulls it in or add an `overrides` entry), then commit the lockfile',
    severity: 'high',
    cwe: [1395],
    seeAlso: ['npm audit', 'OSV-Scanner', 'Trivy fs (npm)'],
  },
  {
    id: 'deps/unscannable-dependency',
    name: 'UnscannableDependency',
    short: 'A dependency from git, a local path or a tarball URL',
    why: 'Advisories are published against registry versions: a dependency installed from a git commit, a `file:`/`link:` path outside the project or an arbitrary tarball URL cannot be checked, and its content is whatever that source serves.',
    fix: 'depend on a registry release when one exists; otherwise review the source, pin it by commit or integrity hash, and track its security yourself',
    severity: 'info',
    cwe: [1357],
    seeAlso: ['npm audit (skips them)', 'OSV-Scanner'],
  },
  {
    id: 'deps/lockfile-missing',
    name: 'LockfileMissing',
    short: 'A package.json with dependencies and no lockfile',
    why: 'Without a lockfile every install resolves the version ranges again: builds are not reproducible, a compromised new release is picked up silently, and no scanner can say which versions run.',
    fix: 'run `npm install --package-lock-only` and commit `package-lock.json` (use `npm ci` in builds); a workspace is covered by the lockfile of its root',
    severity: 'medium',
    cwe: [1357],
    seeAlso: ['OpenSSF Scorecard Pinned-Dependencies'],
  },
]);
