// A gateway worker that ends its thread once, 1.5 s after starting: the first worker to create
// the marker file (atomically) exits; every later one (the restarted one included) just serves.
import { writeFileSync } from 'node:fs';
import '../../src/workers/worker-main.ts';

const marker = process.env['RAMPART_TEST_CRASH_MARKER'];
if (marker !== undefined && claim(marker)) setTimeout(() => process.exit(3), 1500);

function claim(path: string): boolean {
  try {
    writeFileSync(path, '', { flag: 'wx' });
    return true;
  } catch {
    return false;
  }
}
