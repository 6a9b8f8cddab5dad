/**
 * The line that best says why a component stopped, for the terminal of `rampart up` (the whole
 * output stays in the component's log file): its last error-level log record with the error's own
 * message, or the headline of an uncaught error Node printed on stderr (`Error [ERR_MODULE_NOT_FOUND]:
 * Cannot find module …` becomes `ERR_MODULE_NOT_FOUND Cannot find module …`), whichever came last;
 * failing both, its last line of stderr that is not a stack frame or Node's version banner.
 */
export class LastError {
  #explained: string | undefined;
  #lastStderr: string | undefined;

  get line(): string | undefined {
    return this.#explained ?? this.#lastStderr;
  }

  /** An error-level JSON log record (pino's: `msg`, and `err` when an error was logged). */
  logRecord(record: { readonly msg?: unknown; readonly err?: unknown }): void {
    const msg = typeof record.msg === 'string' ? record.msg : '';
    const cause = errorSummary(record.err);
    const line = cause === undefined ? msg : msg === '' ? cause : `${msg}: ${cause}`;
    if (line !== '') this.#explained = clip(line);
  }

  stderrLine(raw: string): void {
    const line = raw.trim();
    const headline = ERROR_HEADLINE.exec(line);
    if (headline !== null) {
      const [, name, code, message] = headline;
      this.#explained = clip(`${code ?? name} ${message}`);
    } else if (line !== '' && !NOISE.some((pattern) => pattern.test(line))) {
      this.#lastStderr = clip(line);
    }
  }
}

/** `Error [ERR_X]: message`, `TypeError: message`, `SyntaxError [ERR_X]: message`. */
const ERROR_HEADLINE = /^(\w*Error)(?: \[(\w+)\])?: (.+)$/;
/** Stack frames, the source excerpt Node prints above an uncaught error, its fields and its version line. */
const NOISE = [/^at /, /^\^+$/, /^Node\.js v\d/, /^[{}]$/, /^\w+: .*,?$/, /^node:internal\//, /^throw /];
const MAX_LINE = 400;

function errorSummary(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { message, code } = err as { message?: unknown; code?: unknown };
  if (typeof message !== 'string' || message === '') return undefined;
  const [first = ''] = message.split('\n', 1);
  return typeof code === 'string' && !first.includes(code) ? `${code} ${first}` : first;
}

function clip(line: string): string {
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE - 1)}…` : line;
}
