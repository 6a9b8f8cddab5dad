import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RampartError } from '@rampart/errors';
import { Secret } from './secret.ts';
import { SECRET_REF_GLOBAL } from './secret-patterns.ts';

const MAX_SECRET_FILE_BYTES = 64 * 1024;

/**
 * Reads the secret a reference points at: `${env:NAME}` from the environment, `${file:path}`
 * from a file (relative paths are relative to `configDir`; one trailing newline is dropped).
 * References may also sit inside a longer string, such as a URL's password
 * (`postgres://app:${env:PGPASS}@db/shop`): each is replaced and the whole string is the secret.
 * Errors are `CFG_SECRET_UNRESOLVED` and name the reference, never a value.
 *
 * @example
 * const secret = await resolveSecret('${file:secrets/shop-cli}', dirname(configFile));
 */
export async function resolveSecret(ref: string, configDir: string): Promise<Secret> {
  const refs = ref.match(SECRET_REF_GLOBAL) ?? [];
  if (refs.length === 0) {
    throw new RampartError('CFG_SECRET_UNRESOLVED', {
      detail: 'the value is not a secret reference — write ${env:NAME} or ${file:path}',
    });
  }
  const values = new Map<string, string>();
  for (const one of refs) {
    if (!values.has(one)) values.set(one, await resolveOne(one, configDir));
  }
  return new Secret(ref.replace(SECRET_REF_GLOBAL, (one) => values.get(one) ?? ''));
}

async function resolveOne(ref: string, configDir: string): Promise<string> {
  const body = ref.slice(2, -1);
  if (body.startsWith('env:')) {
    const name = body.slice('env:'.length);
    const value = process.env[name];
    if (value === undefined || value === '') {
      throw new RampartError('CFG_SECRET_UNRESOLVED', {
        detail: `${ref}: environment variable ${name} is not set`,
      });
    }
    return value;
  }
  const file = resolve(configDir, body.slice('file:'.length));
  let content: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) {
      throw new RampartError('CFG_SECRET_UNRESOLVED', { detail: `${ref}: ${file} is not a file` });
    }
    if (info.size > MAX_SECRET_FILE_BYTES) {
      throw new RampartError('CFG_SECRET_UNRESOLVED', {
        detail: `${ref}: ${file} is larger than ${MAX_SECRET_FILE_BYTES} bytes`,
      });
    }
    content = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof RampartError) throw error;
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    throw new RampartError('CFG_SECRET_UNRESOLVED', { detail: `${ref}: ${file} ${reason}`, cause: error });
  }
  const value = content.replace(/\r?\n$/, '');
  if (value === '') throw new RampartError('CFG_SECRET_UNRESOLVED', { detail: `${ref}: ${file} is empty` });
  return value;
}
