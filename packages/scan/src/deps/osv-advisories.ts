import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import semver from 'semver';
import {
  AdvisorySourceError,
  cweNumbers,
  severityOf,
  type AffectedRange,
  type Advisory,
  type AdvisoryQuery,
  type AdvisorySource,
} from './advisories.ts';

/** Where the OSV project publishes every npm advisory (GHSA and malicious packages) as one zip. */
export const OSV_NPM_EXPORT = 'https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip';

/** Files read at once: the export has hundreds of thousands of small files. */
const CONCURRENCY = 64;

/**
 * An offline advisory database: a directory of OSV JSON files (the unzipped `npm/all.zip` export,
 * searched recursively), or one file holding an OSV entry or a JSON array of them. Only entries of
 * the `npm` ecosystem count; withdrawn ones are skipped. A missing path, an unreadable file or an
 * entry that is not OSV throws an `AdvisorySourceError`: never a silent "no advisory".
 *
 * @example
 * const source = osvAdvisories('./osv-npm'); // curl -fsSLO …/npm/all.zip && unzip -q all.zip -d osv-npm
 */
export function osvAdvisories(path: string): AdvisorySource {
  return {
    description: `the OSV export at ${path}`,
    remedy: `point --offline-advisories at the unzipped OSV npm export (${OSV_NPM_EXPORT}, docs/scan.md)`,
    async lookup(query: AdvisoryQuery): Promise<ReadonlyMap<string, readonly Advisory[]>> {
      const files = await osvFiles(path);
      const found = new Map<string, Advisory[]>();
      const names = new Set(query.keys());
      let next = 0;
      const worker = async (): Promise<void> => {
        for (let i = next++; i < files.length; i = next++) {
          const file = files[i];
          if (file === undefined) continue;
          let text: string;
          try {
            text = await readFile(file, 'utf8');
          } catch (error) {
            throw new AdvisorySourceError(
              `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`,
            );
          }
          // Every OSV entry has an id and a modification date: a file without them is not one.
          if (!/"id"\s*:/u.test(text) || !/"modified"\s*:/u.test(text))
            throw new AdvisorySourceError(
              `${file} is not an OSV entry (no "id" and "modified"): is this an OSV export?`,
            );
          // Most entries are about packages we do not have: skip them before parsing.
          if (
            ![...text.matchAll(/"name"\s*:\s*"([^"]+)"/gu)].some((m) => m[1] !== undefined && names.has(m[1]))
          )
            continue;
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            throw new AdvisorySourceError(`${file} is not JSON: is this an OSV export?`);
          }
          for (const entry of Array.isArray(json) ? json : [json]) {
            for (const [name, advisory] of readOsvEntry(entry, file, (n) => names.has(n))) {
              const list = found.get(name) ?? [];
              list.push(advisory);
              found.set(name, list);
            }
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, files.length) }, worker));
      return found;
    },
  };
}

async function osvFiles(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new AdvisorySourceError(
      `no OSV export at ${path}: download ${OSV_NPM_EXPORT} and unzip it there (docs/scan.md)`,
    );
  }
  if (info.isFile()) return [path];
  const entries = await readdir(path, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
  if (files.length === 0)
    throw new AdvisorySourceError(`${path} holds no OSV JSON file: an empty database checks nothing`);
  return files;
}

/**
 * The npm packages one OSV entry affects (those `wanted`), each with the advisory as ours; `[]`
 * when withdrawn. A range of a wanted package that cannot be read throws.
 */
export function readOsvEntry(
  entry: unknown,
  file: string,
  wanted: (name: string) => boolean = () => true,
): [string, Advisory][] {
  const bad = (what: string): AdvisorySourceError =>
    new AdvisorySourceError(`${file}: ${what}: not an OSV entry`);
  if (typeof entry !== 'object' || entry === null) throw bad('not an object');
  const osv = entry as Record<string, unknown>;
  if (typeof osv.id !== 'string') throw bad('no `id`');
  if (!Array.isArray(osv.affected)) throw bad(`${osv.id} has no \`affected\` list`);
  if (typeof osv.withdrawn === 'string') return [];
  const id = osv.id;
  const aliases = Array.isArray(osv.aliases)
    ? osv.aliases.filter((a): a is string => typeof a === 'string')
    : [];
  const specific = record(osv.database_specific);
  const ghsa = [id, ...aliases].find((a) => a.startsWith('GHSA-'));
  const severity =
    severityOf(specific.severity) ?? (id.startsWith('MAL-') ? 'critical' : undefined) ?? 'high';
  const advisory = {
    id: ghsa ?? id,
    url: ghsa === undefined ? advisoryUrl(osv, id) : `https://github.com/advisories/${ghsa}`,
    title:
      typeof osv.summary === 'string'
        ? osv.summary
        : typeof osv.details === 'string'
          ? (osv.details.split('\n')[0] ?? id)
          : id,
    severity,
    cwe: cweNumbers(specific.cwe_ids),
  };
  const result: [string, Advisory][] = [];
  for (const affected of osv.affected) {
    const pkg = record(record(affected).package);
    if (pkg.ecosystem !== 'npm' || typeof pkg.name !== 'string' || !wanted(pkg.name)) continue;
    const ranges = affectedRanges(record(affected), id, file);
    if (ranges.length > 0) result.push([pkg.name, { ...advisory, affected: ranges }]);
  }
  return result;
}

/**
 * OSV `ranges` (introduced / fixed / last_affected events, in order) and explicit `versions` as
 * semver ranges: `introduced 0, fixed 1.2.3` → `>=0.0.0-0 <1.2.3` (fixed `1.2.3`).
 */
function affectedRanges(affected: Record<string, unknown>, id: string, file: string): AffectedRange[] {
  const ranges: AffectedRange[] = [];
  const version = (value: unknown): string => {
    if (value === '0') return '0.0.0-0';
    if (typeof value !== 'string' || semver.valid(value) === null)
      throw new AdvisorySourceError(
        `${file}: ${id} has a range event that is not a version: ${JSON.stringify(value)}`,
      );
    return value;
  };
  for (const range of Array.isArray(affected.ranges) ? affected.ranges : []) {
    const { type, events } = record(range);
    if ((type !== 'SEMVER' && type !== 'ECOSYSTEM') || !Array.isArray(events)) continue;
    let introduced: string | undefined;
    for (const event of events.map(record)) {
      if ('introduced' in event) introduced = version(event.introduced);
      else if ('fixed' in event && introduced !== undefined) {
        const fixed = version(event.fixed);
        ranges.push({ range: `>=${introduced} <${fixed}`, fixed });
        introduced = undefined;
      } else if ('last_affected' in event && introduced !== undefined) {
        ranges.push({ range: `>=${introduced} <=${version(event.last_affected)}` });
        introduced = undefined;
      }
    }
    if (introduced !== undefined) ranges.push({ range: `>=${introduced}` });
  }
  for (const listed of Array.isArray(affected.versions) ? affected.versions : []) {
    if (
      typeof listed === 'string' &&
      semver.valid(listed) !== null &&
      !ranges.some((r) => semver.satisfies(listed, r.range, { includePrerelease: true }))
    )
      ranges.push({ range: listed });
  }
  return ranges;
}

function advisoryUrl(osv: Record<string, unknown>, id: string): string {
  const references = Array.isArray(osv.references) ? osv.references.map(record) : [];
  const advisory = references.find((r) => r.type === 'ADVISORY' && typeof r.url === 'string');
  return typeof advisory?.url === 'string' ? advisory.url : `https://osv.dev/vulnerability/${id}`;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
