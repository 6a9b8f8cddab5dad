import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/**
 * Another process (of the same user) listening on 127.0.0.1:`port` with SO_REUSEPORT, as a second
 * gateway would; resolves once it listens. Kill it when done.
 *
 * @example
 * const holder = await reusePortListener(port);
 * try { … } finally { holder.kill(); }
 */
export async function reusePortListener(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('node:net').createServer().listen({ port: ${port}, host: '127.0.0.1', reusePort: true }, () => console.log('listening'))`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await once(child.stdout, 'data');
  return child;
}
