import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What `npm pack --json` reports of one tarball. */
export interface PackedTarball {
  readonly name: string;
  readonly version: string;
  /** The tarball's file name, in the destination directory. */
  readonly filename: string;
  /** Compressed size in bytes. */
  readonly size: number;
  readonly entryCount: number;
}

/**
 * `npm pack` of one staged package into `destination`, without lifecycle scripts. npm applies the
 * package.json's `files` list, so what the tarball holds is what a registry would serve.
 */
export async function npmPack(dir: string, destination: string): Promise<PackedTarball> {
  const { stdout } = await run(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', destination],
    {
      cwd: dir,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const [packed] = JSON.parse(stdout) as PackedTarball[];
  if (packed === undefined) throw new Error(`npm pack reported nothing for ${dir}`);
  return packed;
}
