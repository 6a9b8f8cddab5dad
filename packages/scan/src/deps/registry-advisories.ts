import { request } from 'undici';
import {
  AdvisorySourceError,
  cweNumbers,
  ghsaOf,
  isRange,
  severityOf,
  type Advisory,
  type AdvisoryQuery,
  type AdvisorySource,
} from './advisories.ts';

/** The public npm registry: the default of `--advisory-registry`. */
export const NPM_REGISTRY = 'https://registry.npmjs.org';
/** The endpoint `npm audit` asks (npm 7 and later), relative to the registry. */
export const BULK_ADVISORY_PATH = '/-/npm/v1/security/advisories/bulk';
/** The whole exchange (connect, send, answer) is bounded: a hung registry is a failure, not a wait. */
export const REGISTRY_TIMEOUT_MS = 20_000;

export interface RegistryAdvisoryOptions {
  /** Default `https://registry.npmjs.org`; a mirror that serves the bulk endpoint (Verdaccio, Artifactory…). */
  readonly registry?: string;
  readonly timeoutMs?: number;
}

/**
 * The npm registry's bulk advisory endpoint, as `npm audit` uses it: `POST {name: [versions]}`,
 * answered with `{name: [{id, url, title, severity, vulnerable_versions, cwe}]}`. An unreachable
 * registry, a status other than 200 or an answer of another shape throws an `AdvisorySourceError`.
 *
 * @example
 * const source = registryAdvisories();
 * await source.lookup(new Map([['minimist', new Set(['1.2.0'])]]));
 */
export function registryAdvisories(options: RegistryAdvisoryOptions = {}): AdvisorySource {
  const registry = (options.registry ?? NPM_REGISTRY).replace(/\/+$/u, '');
  const url = `${registry}${BULK_ADVISORY_PATH}`;
  const timeoutMs = options.timeoutMs ?? REGISTRY_TIMEOUT_MS;
  return {
    description: `${registry} (bulk advisories)`,
    remedy:
      'give the scan access to the registry (or a mirror that serves the bulk endpoint, --advisory-registry <url>), or check offline against an OSV export with --offline-advisories <dir> (docs/scan.md)',
    async lookup(query: AdvisoryQuery): Promise<ReadonlyMap<string, readonly Advisory[]>> {
      if (query.size === 0) return new Map();
      const body = JSON.stringify(
        Object.fromEntries([...query].map(([name, versions]) => [name, [...versions]])),
      );
      let answer: unknown;
      try {
        const response = await request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body,
          signal: AbortSignal.timeout(timeoutMs),
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        if (response.statusCode !== 200) {
          const text = (await response.body.text()).slice(0, 200);
          throw new AdvisorySourceError(
            `${url} answered HTTP ${response.statusCode}${text === '' ? '' : `: ${text}`}`,
          );
        }
        const text = await response.body.text();
        try {
          answer = JSON.parse(text);
        } catch {
          throw new AdvisorySourceError(`${url} answered something that is not JSON`);
        }
      } catch (error) {
        if (error instanceof AdvisorySourceError) throw error;
        throw new AdvisorySourceError(`cannot reach ${url}: ${causeOf(error, timeoutMs)}`);
      }
      return readBulkAnswer(answer, url);
    },
  };
}

/** The bulk endpoint's answer, checked entry by entry: a shape we do not know is an error, not "no advisory". */
export function readBulkAnswer(answer: unknown, url: string): Map<string, Advisory[]> {
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) {
    throw new AdvisorySourceError(`${url} answered JSON that is not an object of advisories by package`);
  }
  const advisories = new Map<string, Advisory[]>();
  for (const [name, list] of Object.entries(answer)) {
    if (!Array.isArray(list))
      throw new AdvisorySourceError(`${url}: the advisories of ${name} are not a list`);
    advisories.set(
      name,
      list.map((entry: unknown) => readBulkAdvisory(entry, name, url)),
    );
  }
  return advisories;
}

function readBulkAdvisory(entry: unknown, name: string, url: string): Advisory {
  const bad = (what: string): AdvisorySourceError =>
    new AdvisorySourceError(`${url}: an advisory of ${name} ${what}`);
  if (typeof entry !== 'object' || entry === null) throw bad('is not an object');
  const fields = entry as Record<string, unknown>;
  const { id, vulnerable_versions: range } = fields;
  if (typeof id !== 'number' && typeof id !== 'string') throw bad('has no id');
  if (typeof range !== 'string' || !isRange(range))
    throw bad(`(${String(id)}) has no readable vulnerable_versions`);
  const severity = severityOf(fields.severity);
  if (severity === undefined)
    throw bad(`(${String(id)}) has an unknown severity ${JSON.stringify(fields.severity)}`);
  const link = typeof fields.url === 'string' ? fields.url : '';
  return {
    id: ghsaOf(link) ?? `npm:${String(id)}`,
    url: link === '' ? `https://www.npmjs.com/advisories/${String(id)}` : link,
    title: typeof fields.title === 'string' ? fields.title : '(no title)',
    severity,
    cwe: cweNumbers(fields.cwe),
    // The answer has no patched versions: the fix is the upper bound of the range holding the version.
    affected: [{ range, fixedFromRange: true }],
  };
}

function causeOf(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${timeoutMs / 1000} s`;
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${typeof code === 'string' ? `${code} ` : ''}${error.message}${cause}`;
  }
  return String(error);
}
