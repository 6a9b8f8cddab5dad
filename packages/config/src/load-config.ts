import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { MAX_CONFIG_BYTES, parseConfig, tooLarge, type LoadResult } from './parse-config.ts';

/**
 * Reads, parses, validates and checks a rampart.yaml. Never throws for a missing, unreadable or
 * invalid file: those are problems in the result. A valid config comes back deep-frozen.
 *
 * @example
 * const result = await loadConfig('examples/shop/rampart.yaml');
 * if (result.ok) startGateway(result.config);
 */
export async function loadConfig(file: string): Promise<LoadResult> {
  const absolute = resolve(file);
  let text: string;
  try {
    const handle = await open(absolute, 'r');
    try {
      const { size } = await handle.stat();
      if (size > MAX_CONFIG_BYTES) return { ok: false, file: absolute, problems: [tooLarge(absolute)] };
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const missing = code === 'ENOENT' || code === 'ENOTDIR';
    return {
      ok: false,
      file: absolute,
      problems: [
        {
          code: 'CFG_FILE_NOT_FOUND',
          file: absolute,
          line: 0,
          column: 0,
          severity: 'error',
          message: missing ? 'no such file' : `the file cannot be read (${code ?? 'unknown error'})`,
          fix: missing
            ? 'pass the path of a rampart.yaml, e.g. `rampart check examples/shop/rampart.yaml`'
            : 'check its permissions',
        },
      ],
    };
  }
  return parseConfig(text, absolute);
}
