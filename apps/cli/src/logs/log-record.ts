/** One line of a component's log: a pino JSON object, or any other text a component wrote. */
export interface LogRecord {
  readonly component: string;
  /** The line as stored, without its newline. */
  readonly text: string;
  /** The parsed object, when the line is one JSON object. */
  readonly fields: Readonly<Record<string, unknown>> | undefined;
  /** Its `time` (ms since the epoch); for a line without one, the time of the line before it in the same file. */
  readonly time: number | undefined;
  /** Its pino level (10 trace … 60 fatal); undefined for a line that is not a log object. */
  readonly level: number | undefined;
}

/**
 * Reads one stored line. A line that is not a JSON object (a crash's stack trace on stderr, a Node
 * warning) is kept as text, timed like the line before it so it stays in its place when lines of
 * several components are merged by time.
 *
 * @example
 * readLogLine('gateway', '{"level":30,"time":1765101302123,"msg":"request"}', undefined).level; // 30
 */
export function readLogLine(component: string, text: string, previousTime: number | undefined): LogRecord {
  const fields = text.startsWith('{') ? parseObject(text) : undefined;
  const time = fields?.['time'];
  const level = fields?.['level'];
  return {
    component,
    text,
    fields,
    time: typeof time === 'number' && Number.isFinite(time) ? time : previousTime,
    level: typeof level === 'number' ? level : undefined,
  };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
