import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** `<name>.log`, or a rotated `<name>.log.<n>` (`.1` the newest). */
const LOG_FILE = /^(.+)\.log(?:\.([1-9][0-9]{0,3}))?$/;

/** Where `rampart up` writes the logs of the platform described by `configFile`. */
export function logsDirOf(configFile: string): string {
  return join(dirname(resolve(configFile)), '.rampart', 'logs');
}

/**
 * Every component with a log in `dir`, and its files oldest first: `<name>.log.N` … `<name>.log.1`,
 * then `<name>.log` (`rotating-log.ts` renames `.log` to `.log.1` and shifts the others up). A
 * component whose current file is missing (between a rotation's rename and the new file) still has
 * its rotated ones. A missing directory has none.
 *
 * @example
 * componentLogs('.rampart/logs').get('gateway'); // ['…/gateway.log.2', '…/gateway.log.1', '…/gateway.log']
 */
export function componentLogs(dir: string): Map<string, string[]> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
  const found = new Map<string, { name: string; generation: number }[]>();
  for (const name of names) {
    const match = LOG_FILE.exec(name);
    if (match === null) continue;
    const component = match[1] ?? '';
    const generation = match[2] === undefined ? 0 : Number(match[2]);
    const files = found.get(component) ?? [];
    files.push({ name, generation });
    found.set(component, files);
  }
  const logs = new Map<string, string[]>();
  for (const component of [...found.keys()].sort()) {
    const files = (found.get(component) ?? []).sort((a, b) => b.generation - a.generation);
    logs.set(
      component,
      files.map((file) => join(dir, file.name)),
    );
  }
  return logs;
}

/** The current (not rotated) log file of `component`. */
export function currentLogFile(dir: string, component: string): string {
  return join(dir, `${component}.log`);
}
