import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

const DEBOUNCE_MS = 150;

/**
 * Calls `onChange` once per burst of edits to `file`. It watches the directory, not the file,
 * because editors save by writing a new file and renaming it over the old one.
 */
export function watchConfig(file: string, onChange: () => void): FSWatcher {
  const name = basename(file);
  let timer: NodeJS.Timeout | null = null;
  const watcher = watch(dirname(file), (_event, changed) => {
    if (changed !== null && changed !== name) return;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      onChange();
    }, DEBOUNCE_MS);
  });
  watcher.on('close', () => {
    if (timer !== null) clearTimeout(timer);
  });
  return watcher;
}
