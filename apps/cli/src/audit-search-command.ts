import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  lastSeq,
  MAX_SEARCH_LIMIT,
  parseSearchFilter,
  searchable,
  searchEvents,
  SearchFilterError,
  type SearchFilter,
  type SearchHit,
} from '@rampart/audit';
import type { Store } from '@rampart/sdk';
import { fit, headerLine, initialWidths, jsonLine, rowLine } from './audit-table.ts';
import { openAuditTrail, TrailUnavailableError, type OpenedTrail } from './audit-trail.ts';
import { searchByUser } from './audit-user-search.ts';
import type { CommandIo } from './check-command.ts';
import { paint } from './terminal.ts';

/** Each filter option and the search field it sets. */
const FILTER_OPTIONS = {
  from: 'from',
  to: 'to',
  event: 'event',
  outcome: 'outcome',
  subject: 'subject',
  client: 'clientId',
  ip: 'sourceIp',
  route: 'route',
  trace: 'traceId',
  request: 'requestId',
  service: 'service',
} as const satisfies Record<string, keyof SearchFilter>;
type FilterOption = keyof typeof FILTER_OPTIONS;

const filterHelp = `Filters (all given must match):
  --from <time>      events at or after: ISO 8601 with a zone (2026-12-07T09:00:00Z, …+01:00),
                     a date (midnight UTC), or an age: 30s, 15m, 2h, 7d ago
  --to <time>        events before it (same forms)
  --event <type>     an event type (login.failed) or a prefix ending in a dot (token.)
  --outcome <o>      success, failure or unknown
  --subject <ps_…>   the pseudonymous subject
  --client <id>      the OAuth client id
  --ip <address>     the client's IP address (IPv4 or IPv6)
  --route <r>        the route template with its method: "GET /orders/{id}"
  --trace <id>       the trace id (32 hex digits)
  --request <id>     the request id
  --service <name>   the component that emitted the event (gateway, identity, orders…)`;

const searchUsage = `Usage: rampart audit search [file] [filters] [--limit n] [--before seq | --after seq] [--json]

Searches the audit trail of the platform described by file (default: rampart.yaml), reading the
audit service's store directly. Newest events first, a page at a time; the footer gives the command
for the next page. Times are shown in your local zone.

${filterHelp}

Re-identification (through the gateway's audit API, with the token of \`rampart admin login\`):
  --user <name>    the events of one user, by username; recorded in the trail as
                   audit.reidentified, with you as the admin and the reason
  --reason <why>   required with --user: incident_response, abuse_report, fraud_investigation,
                   legal_request, data_subject_request or support_case
  --ticket <ref>   a case reference (INC-1234), recorded with it
  --token-file <p> the admin token (default: .rampart/admin-token beside the config)
  --cursor <c>     the next page of a --user search, as its footer gives it

Options:
  --limit <n>      events per page, 1 to ${MAX_SEARCH_LIMIT} (default 50)
  --before <seq>   only events older than seq (the next page, newest first)
  --after <seq>    only events newer than seq, oldest first
  --json           one JSON object per line: the event as stored, with its seq
  -h, --help       show this help

Exit status: 0 searched (even with no match), 1 --user refused or the gateway unreachable,
2 no audit trail or a bad option.
`;

const tailUsage = `Usage: rampart audit tail [file] [filters] [-n N] [--json]

Prints the last N events of the audit trail of the platform described by file (default:
rampart.yaml) that match the filters, then each new one as it arrives (the store is read every
500 ms), until Ctrl-C. Times are shown in your local zone.

${filterHelp}

Options:
  -n, --lines <N>  how many past events to show first, 0 to ${MAX_SEARCH_LIMIT} (default 10)
  --json           one JSON object per line: the event as stored, with its seq
  -h, --help       show this help

Exit status: 0 stopped with Ctrl-C, 2 no audit trail or a bad option.
`;

const POLL_MS = 500;
const DEFAULT_SEARCH_LIMIT = 50;
const DEFAULT_TAIL_LINES = 10;

/** Options of `search` alone that re-identify (they go through the API, not the store). */
const USER_OPTIONS = ['user', 'reason', 'ticket', 'token-file', 'cursor'] as const;
type UserOption = (typeof USER_OPTIONS)[number];

type Parsed = {
  readonly values: Partial<
    Record<FilterOption | UserOption | 'limit' | 'before' | 'after' | 'lines', string>
  > & {
    readonly json?: boolean;
    readonly help?: boolean;
  };
  readonly file: string | undefined;
};

function parse(verb: 'search' | 'tail', argv: string[]): Parsed {
  const filters = Object.fromEntries(
    Object.keys(FILTER_OPTIONS).map((name) => [name, { type: 'string' as const }]),
  );
  const paging =
    verb === 'search'
      ? {
          limit: { type: 'string' as const },
          before: { type: 'string' as const },
          after: { type: 'string' as const },
          ...Object.fromEntries(USER_OPTIONS.map((name) => [name, { type: 'string' as const }])),
        }
      : { lines: { type: 'string' as const, short: 'n' } };
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...filters, ...paging, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (positionals.length > 1) throw new TypeError(`expected at most one file, got ${positionals.length}`);
  const texts: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) if (typeof value === 'string') texts[name] = value;
  return {
    values: {
      ...texts,
      ...(values['json'] === true ? { json: true } : {}),
      ...(values['help'] === true ? { help: true } : {}),
    },
    file: positionals[0],
  };
}

/** `30s`, `15m`, `2h`, `7d`: that long before `now`, as ISO 8601; anything else as given. */
export function resolveTime(value: string, now: number): string {
  const age = /^(\d{1,6})([smhd])$/.exec(value);
  if (age === null) return value;
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as 's' | 'm' | 'h' | 'd'];
  return new Date(now - Number(age[1]) * unit).toISOString();
}

function filterOf(values: Parsed['values'], now: number): SearchFilter {
  const filter: Record<string, string> = {};
  for (const [option, field] of Object.entries(FILTER_OPTIONS)) {
    const value = values[option as FilterOption];
    if (value === undefined) continue;
    filter[field] = field === 'from' || field === 'to' ? resolveTime(value, now) : value;
  }
  return filter;
}

/** The option a search field came from, for messages in the user's terms. */
function optionOf(field: string): string {
  const option = Object.entries(FILTER_OPTIONS).find(([, name]) => name === field)?.[0];
  return `--${option ?? field}`;
}

function integer(
  value: string | undefined,
  option: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const n = /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new SearchFilterError(option, `must be an integer from ${min} to ${max}`);
  }
  return n;
}

/** Shell-quotes one argument for the footer's next-page command. */
function quote(arg: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

interface Opened {
  readonly store: Store;
  readonly filter: SearchFilter;
}

/**
 * Checks the options and opens the store; a number is the exit status of a failure already told.
 * The filter is checked first: a bad one is named even where there is no trail.
 */
async function open(verb: 'search' | 'tail', parsed: Parsed, io: CommandIo): Promise<Opened | number> {
  const color = paint(io.color);
  const filter = filterOf(parsed.values, Date.now());
  parseSearchFilter(filter);
  let opened: OpenedTrail;
  try {
    opened = await openAuditTrail(parsed.file ?? 'rampart.yaml');
  } catch (error) {
    if (!(error instanceof TrailUnavailableError)) throw error;
    io.stderr.write(color('red', `✗ cannot ${verb}: ${error.message}\n`));
    return 2;
  }
  const { store, location } = opened;
  if (!(await searchable(store))) {
    await store.close();
    io.stderr.write(
      color(
        'red',
        `✗ cannot ${verb}: the audit trail in ${location} predates search; start the platform once with rampart up (the audit service adds the search columns)\n`,
      ),
    );
    return 2;
  }
  return { store, filter };
}

/** Runs `body`, turning a bad option into exit status 2 with the option named. */
async function guarded(
  verb: 'search' | 'tail',
  usage: string,
  io: CommandIo,
  body: () => Promise<number>,
): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof SearchFilterError) {
      const option = error.field.startsWith('-') ? error.field : optionOf(error.field);
      io.stderr.write(`rampart audit ${verb}: ${option} ${error.message.slice(error.field.length + 2)}\n`);
      return 2;
    }
    if (error instanceof TypeError) {
      // parseArgs' own errors (an unknown option, a missing value) and a second file
      io.stderr.write(`rampart audit ${verb}: ${error.message}\n\n${usage}`);
      return 2;
    }
    io.stderr.write(paint(io.color)('red', `✗ cannot ${verb}: ${(error as Error).message}\n`));
    return 2;
  }
}

/**
 * `rampart audit search [file] [filters] [--limit n] [--before seq | --after seq] [--json]`.
 *
 * @example
 * process.exitCode = await auditSearchCommand(['--event', 'login.failed', '--from', '1h'], io);
 */
export function auditSearchCommand(argv: string[], io: CommandIo): Promise<number> {
  return guarded('search', searchUsage, io, async () => {
    const parsed = parse('search', argv);
    if (parsed.values.help === true) {
      io.stdout.write(searchUsage);
      return 0;
    }
    const { values } = parsed;
    const limit = integer(values.limit, '--limit', 1, MAX_SEARCH_LIMIT, DEFAULT_SEARCH_LIMIT);
    const before =
      values.before === undefined
        ? undefined
        : integer(values.before, '--before', 1, Number.MAX_SAFE_INTEGER, 0);
    const after =
      values.after === undefined
        ? undefined
        : integer(values.after, '--after', 0, Number.MAX_SAFE_INTEGER, 0);
    if (before !== undefined && after !== undefined) {
      throw new SearchFilterError('--after', 'cannot be given with --before');
    }
    if (values.user !== undefined) {
      if (values.subject !== undefined)
        throw new SearchFilterError('--subject', 'cannot be given with --user');
      if (before !== undefined || after !== undefined) {
        throw new SearchFilterError(
          before === undefined ? '--after' : '--before',
          'pages a --user search by --cursor',
        );
      }
      return searchByUser(
        {
          file: parsed.file ?? 'rampart.yaml',
          user: values.user,
          reason: values.reason,
          ticket: values.ticket,
          filters: filterOf(values, Date.now()) as Record<string, string>,
          limit: values.limit === undefined ? undefined : limit,
          cursor: values.cursor,
          tokenFile: values['token-file'],
          json: values.json === true,
        },
        io,
      );
    }
    for (const option of ['reason', 'ticket', 'token-file', 'cursor'] as const) {
      if (values[option] !== undefined)
        throw new SearchFilterError(`--${option}`, 'is given only with --user');
    }
    const opened = await open('search', parsed, io);
    if (typeof opened === 'number') return opened;
    const { store, filter } = opened;
    let result;
    try {
      result = await searchEvents(store, filter, {
        limit,
        ...(before === undefined ? {} : { before }),
        ...(after === undefined ? { order: 'newest' as const } : { after, order: 'oldest' as const }),
      });
    } finally {
      await store.close();
    }
    const color = paint(io.color);
    const { events, next } = result;
    const nextArgs =
      next === undefined
        ? undefined
        : [
            'rampart audit search',
            ...(parsed.file === undefined ? [] : [parsed.file]),
            ...Object.keys(FILTER_OPTIONS).flatMap((option) => {
              const value = values[option as FilterOption];
              return value === undefined ? [] : [`--${option}`, value];
            }),
            ...(values.limit === undefined ? [] : ['--limit', String(limit)]),
            ...('before' in next ? ['--before', String(next.before)] : ['--after', String(next.after)]),
            ...(values.json === true ? ['--json'] : []),
          ]
            .map((arg, i) => (i === 0 ? arg : quote(arg)))
            .join(' ');
    if (values.json === true) {
      for (const hit of events) io.stdout.write(jsonLine(hit));
      if (nextArgs !== undefined) io.stderr.write(`next page: ${nextArgs}\n`);
      return 0;
    }
    if (events.length === 0) {
      io.stdout.write(next === undefined ? 'no events match\n' : 'no events match on this page\n');
    } else {
      const widths = fit(initialWidths(), events);
      io.stdout.write(headerLine(widths, color));
      for (const hit of events) io.stdout.write(rowLine(widths, hit, color));
    }
    const range = events.length === 0 ? '' : ` (seq ${events[0]?.seq}…${events.at(-1)?.seq})`;
    io.stdout.write(
      color(
        'gray',
        `-- ${events.length} event${events.length === 1 ? '' : 's'}${range}; ` +
          (nextArgs === undefined ? 'no more' : `next page: ${nextArgs}`) +
          '\n',
      ),
    );
    return 0;
  });
}

/**
 * `rampart audit tail [file] [filters] [-n N] [--json]`: the last N matching events, then each new
 * one, until SIGINT or SIGTERM (exit 0).
 *
 * @example
 * process.exitCode = await auditTailCommand(['--outcome', 'failure', '-n', '20'], io);
 */
export function auditTailCommand(argv: string[], io: CommandIo, signal?: AbortSignal): Promise<number> {
  return guarded('tail', tailUsage, io, async () => {
    const parsed = parse('tail', argv);
    if (parsed.values.help === true) {
      io.stdout.write(tailUsage);
      return 0;
    }
    const lines = integer(parsed.values.lines, '-n', 0, MAX_SEARCH_LIMIT, DEFAULT_TAIL_LINES);
    const opened = await open('tail', parsed, io);
    if (typeof opened === 'number') return opened;
    const { store, filter } = opened;
    const stop = stopSignal(signal);
    const color = paint(io.color);
    const json = parsed.values.json === true;
    const widths = initialWidths();
    let headed = false;
    const print = (hits: readonly SearchHit[]): void => {
      if (json) {
        for (const hit of hits) io.stdout.write(jsonLine(hit));
        return;
      }
      if (hits.length === 0) return;
      fit(widths, hits);
      if (!headed) io.stdout.write(headerLine(widths, color));
      headed = true;
      for (const hit of hits) io.stdout.write(rowLine(widths, hit, color));
    };
    try {
      let cursor = await lastSeq(store);
      if (lines > 0) {
        const last = await searchEvents(store, filter, { before: cursor + 1, limit: lines });
        print([...last.events].reverse());
      }
      if (!json) io.stderr.write(color('gray', `following ${filterSummary(filter)} (Ctrl-C to stop)…\n`));
      const stopped = (): boolean => stop.signal.aborted;
      while (!stopped()) {
        await sleep(POLL_MS, undefined, { signal: stop.signal }).catch(() => undefined);
        if (stopped()) break;
        // Read up to the head as it is now, then move past it even where nothing matched.
        const head = await lastSeq(store);
        while (cursor < head && !stopped()) {
          const page = await searchEvents(store, filter, {
            after: cursor,
            before: head + 1,
            order: 'oldest',
            limit: MAX_SEARCH_LIMIT,
          });
          print(page.events);
          cursor = page.next !== undefined && 'after' in page.next ? page.next.after : head;
        }
      }
      return 0;
    } finally {
      stop.dispose();
      await store.close();
    }
  });
}

function filterSummary(filter: SearchFilter): string {
  const parts = Object.entries(filter).map(([field, value]) => `${optionOf(field)} ${String(value)}`);
  return parts.length === 0 ? 'every new event' : `new events with ${parts.join(' ')}`;
}

/** Aborted by SIGINT, SIGTERM or `outer`; `dispose` removes the handlers. */
function stopSignal(outer?: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const abort = (): void => {
    controller.abort();
  };
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  outer?.addEventListener('abort', abort, { once: true });
  return {
    signal: controller.signal,
    dispose() {
      process.removeListener('SIGINT', abort);
      process.removeListener('SIGTERM', abort);
      outer?.removeEventListener('abort', abort);
    },
  };
}
