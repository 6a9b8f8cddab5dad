import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { RampartError } from '@rampart/errors';

const POLL_MS = 50;

/** Polls a readiness URL until it answers 200, the deadline passes, or `gaveUp()` says to stop. */
export async function waitUntilReady(
  url: string,
  timeoutMs: number,
  name: string,
  gaveUp: () => boolean = () => false,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gaveUp()) break;
    if ((await probe(url)) === 200) return;
    await sleep(POLL_MS);
  }
  throw new RampartError('SUP_COMPONENT_NOT_READY', {
    detail: `${name} was not ready at ${url} within ${timeoutMs} ms`,
  });
}

/** One GET; resolves to the status code, or 0 when nothing answered. */
export function probe(url: string, timeoutMs = 1_000): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => {
      resolve(0);
    });
    req.end();
  });
}
