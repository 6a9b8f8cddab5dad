import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { CommandIo } from './check-command.ts';
import { componentLogs, logsDirOf } from './logs/log-files.ts';
import { formatJson, formatPretty, safeText } from './logs/log-format.ts';
import { LogFollower } from './logs/log-follow.ts';
import {
  LogQueryError,
  matches,
  parseLevelOption,
  parseSinceOption,
  parseTraceOption,
  type LogQuery,
} from './logs/log-query.ts';
import { componentRecords, mergeByTime } from './logs/log-read.ts';
import type { LogRecord } from './logs/log-record.ts';

const usage = `Usage: rampart logs [file] [component…] [--trace <id>] [--since <age|time>] [--level <level>] [-f] [--json]

Prints the logs rampart up wrote for the platform described by file (default: rampart.yaml), from
.rampart/logs/ beside it: each component's rotated files and current file, all selected
components' lines merged by time. Times are shown in your local zone.

  component          only these components (default: every component with logs)
  --trace <id>       only the lines of one trace (32 hex digits, from a traceparent or a line's
                     traceId): one request's story across the gateway and the services it reached
  --since <age|time> only lines from then on: 30s, 10m, 2h, 7d ago, or an ISO 8601 time with a zone
  --level <level>    only lines at or above: trace, debug, info, warn, error, fatal
  -f, --follow       print the last lines (-n), then each new one as it is written, through
                     rotations, until Ctrl-C
  -n, --lines <N>    with --follow, how many past lines to show first (default 10)
  --json             one JSON object per line, as the component logged it
  -h, --help         show this help

Control and bidirectional characters in a line are never printed raw: they show as \ufffd.

Exit status: 0 printed (even with no match) or stopped with Ctrl-C; 2 no logs, an unknown
component or a bad option.
`;

const POLL_MS = 250;
const DEFAULT_FOLLOW_LINES = 10;
const MAX_FOLLOW_LINES = 100_000;

interface LogsOptions {
  readonly dir: string;
  readonly components: readonly string[];
  readonly query: LogQuery;
  readonly follow: boolean;
  readonly lines: number;
  readonly json: boolean;
}

/**
 * `rampart logs [file] [component…] [--trace id] [--since age] [--level l] [--follow] [--json]`.
 * The first argument is the file when it names a YAML file or a path; every other is a component.
 *
 * @example
 * process.exitCode = await logsCommand(['examples/shop/rampart.yaml', '--trace', traceId], io);
 */
export async function logsCommand(argv: string[], io: CommandIo, signal?: AbortSignal): Promise<number> {
  let options: LogsOptions | 'help';
  try {
    options = parse(argv, Date.now());
  } catch (error) {
    if (error instanceof LogQueryError) {
      io.stderr.write(`rampart logs: ${safeText(error.message)}\n`);
      return 2;
    }
    if (error instanceof TypeError) {
      // parseArgs' own errors: an unknown option, a missing value
      io.stderr.write(`rampart logs: ${safeText(error.message)}\n\n${usage}`);
      return 2;
    }
    throw error;
  }
  if (options === 'help') {
    io.stdout.write(usage);
    return 0;
  }
  const available = componentLogs(options.dir);
  if (available.size === 0) {
    io.stderr.write(
      `rampart logs: no logs in ${safeText(options.dir)}: rampart up writes them there when it runs this file\n`,
    );
    return 2;
  }
  const unknown = options.components.filter((component) => !available.has(component));
  if (unknown.length > 0) {
    io.stderr.write(
      `rampart logs: no logs of ${unknown.map((name) => `'${safeText(name)}'`).join(', ')}; ` +
        `components with logs: ${[...available.keys()].map(safeText).join(', ')}\n`,
    );
    return 2;
  }
  const selected = options.components.length === 0 ? [...available.keys()] : [...new Set(options.components)];
  const width = Math.max(...selected.map((name) => safeText(name).length));
  const format = options.json
    ? formatJson
    : (record: LogRecord): string => formatPretty(record, { componentWidth: width, color: io.color });
  const out = writer(io.stdout);
  const keep = (record: LogRecord): boolean => matches(record, options.query);
  const traceId = options.query.traceId;
  // Cheap before parsing: a line of the trace holds its id.
  const rawKeep = traceId === undefined ? undefined : (text: string): boolean => text.includes(traceId);

  if (!options.follow) {
    const sources = selected.map((component) =>
      componentRecords({ component, files: available.get(component) ?? [] }, rawKeep),
    );
    if (traceId === undefined) {
      for await (const record of mergeByTime(sources)) if (keep(record)) await out(format(record));
      return 0;
    }
    // One trace is a few lines: sorted whole, so lines a component wrote out of order (the
    // gateway's worker threads share one file) are in time order too. The sort is stable.
    const trace: LogRecord[] = [];
    for await (const record of mergeByTime(sources)) if (keep(record)) trace.push(record);
    trace.sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
    for (const record of trace) await out(format(record));
    return 0;
  }

  const follower = new LogFollower(options.dir, selected);
  const stop = stopSignal(signal);
  try {
    // History up to where following starts, of which the last N lines.
    const last: LogRecord[] = [];
    const sources = selected.map((component) => {
      const lastFileEnd = follower.startOf(component);
      return componentRecords(
        {
          component,
          files: available.get(component) ?? [],
          ...(lastFileEnd === undefined ? {} : { lastFileEnd }),
        },
        rawKeep,
      );
    });
    if (options.lines > 0) {
      for await (const record of mergeByTime(sources)) {
        if (!keep(record)) continue;
        last.push(record);
        if (last.length > options.lines) last.shift();
      }
    }
    for (const record of last) await out(format(record));
    if (!options.json) io.stderr.write(`following ${selected.map(safeText).join(', ')} (Ctrl-C to stop)…\n`);
    while (!stop.signal.aborted) {
      for (const record of follower.poll()) if (keep(record)) await out(format(record));
      await sleep(POLL_MS, undefined, { signal: stop.signal }).catch(() => undefined);
    }
    return 0;
  } finally {
    stop.dispose();
    follower.close();
  }
}

function parse(argv: string[], now: number): LogsOptions | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      trace: { type: 'string' },
      since: { type: 'string' },
      level: { type: 'string' },
      follow: { type: 'boolean', short: 'f' },
      lines: { type: 'string', short: 'n' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  const [first, ...others] = positionals;
  const isFile =
    first !== undefined && (/\.ya?ml$/i.test(first) || first.includes('/') || first.includes('\\'));
  const file = isFile ? first : 'rampart.yaml';
  const components = isFile ? others : positionals;
  const query: LogQuery = {
    ...(values.trace === undefined ? {} : { traceId: parseTraceOption(values.trace) }),
    ...(values.since === undefined ? {} : { since: parseSinceOption(values.since, now) }),
    ...(values.level === undefined ? {} : { minLevel: parseLevelOption(values.level) }),
  };
  let lines = DEFAULT_FOLLOW_LINES;
  if (values.lines !== undefined) {
    if (!/^\d{1,6}$/.test(values.lines) || Number(values.lines) > MAX_FOLLOW_LINES) {
      throw new LogQueryError('--lines', `must be an integer from 0 to ${MAX_FOLLOW_LINES}`);
    }
    if (values.follow !== true) throw new LogQueryError('--lines', 'is for --follow');
    lines = Number(values.lines);
  }
  return {
    dir: logsDirOf(file),
    components,
    query,
    follow: values.follow === true,
    lines,
    json: values.json === true,
  };
}

/** Writes, waiting for the stream to drain when it asks to (a pager, a pipe). */
function writer(stream: NodeJS.WritableStream): (text: string) => Promise<void> {
  return async (text) => {
    if (stream.write(text)) return;
    await new Promise<void>((resolve) => {
      stream.once('drain', resolve);
    });
  };
}

/** Aborted by SIGINT, SIGTERM or `outer`; `dispose` removes the handlers. */
function stopSignal(outer?: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const abort = (): void => {
    controller.abort();
  };
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  if (outer?.aborted === true) abort();
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
