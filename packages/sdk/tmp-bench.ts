import { maskText } from './src/log/index.ts';
import { DETECTOR } from './src/log/patterns.ts';
const strs = ['cache warmed in 35 ms for 120 entries', 'request completed', '/orders/1234?page=2', 'req-8f3a2c'];
for (const s of strs) {
  for (let i = 0; i < 1e5; i++) maskText(s);
  let t = process.hrtime.bigint();
  for (let i = 0; i < 1e6; i++) maskText(s);
  const a = Number(process.hrtime.bigint() - t) / 1e6;
  t = process.hrtime.bigint();
  for (let i = 0; i < 1e6; i++) { DETECTOR.lastIndex = 0; DETECTOR.exec(s); }
  const b = Number(process.hrtime.bigint() - t) / 1e6;
  console.log(s, a.toFixed(0), b.toFixed(0));
}
