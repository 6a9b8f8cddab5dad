import type { WriteStream } from 'node:tty';

/** Colors only for a terminal that wants them (NO_COLOR, FORCE_COLOR honoured). */
export function useColor(stream: NodeJS.WritableStream): boolean {
  if (process.env['NO_COLOR'] !== undefined && process.env['NO_COLOR'] !== '') return false;
  if (process.env['FORCE_COLOR'] !== undefined && process.env['FORCE_COLOR'] !== '0') return true;
  return (stream as Partial<WriteStream>).isTTY === true;
}

const codes = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;
export type Color = keyof typeof codes;

export function paint(enabled: boolean): (color: Color, text: string) => string {
  return (color, text) => (enabled ? `\u001b[${codes[color]}m${text}\u001b[0m` : text);
}
