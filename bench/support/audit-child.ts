// The audit service in a process of its own, for benchmarks: `startAudit` on a free port with the
// workload credentials and config the parent hands over, as `rampart up` would run it (without the
// mesh join). Answers `{ type: 'head' }` over IPC with the ledger's head seq; exits on SIGTERM.
// Run by bench/audit-gateway.ts and bench/audit-ingest.ts through `fork`, never by hand.
import { readFileSync } from 'node:fs';
import { startAudit } from '@rampart/audit';
import { parseConfig } from '@rampart/config';
import { createLogger } from '@rampart/sdk';

interface ChildInput {
  readonly yaml: string;
  readonly stateDir: string;
  readonly configDir: string;
  readonly signingKeyFile: string;
  readonly trustDomain: string;
  readonly keyFile: string;
  readonly certFile: string;
  readonly caFile: string;
}

const input = JSON.parse(process.env['RAMPART_BENCH_AUDIT'] ?? '{}') as ChildInput;
const loaded = parseConfig(input.yaml, 'rampart.yaml');
if (!loaded.ok) throw new Error(`bench config invalid: ${JSON.stringify(loaded.problems)}`);
const credentials = {
  keyPem: readFileSync(input.keyFile, 'utf8'),
  certPem: readFileSync(input.certFile, 'utf8'),
  caPems: [readFileSync(input.caFile, 'utf8')],
  tokenKeyPems: [],
  notAfter: new Date(Date.now() + 3_600_000),
};
const audit = await startAudit({
  config: loaded.config,
  stateDir: input.stateDir,
  configDir: input.configDir,
  signingKeyFile: input.signingKeyFile,
  trustDomain: input.trustDomain,
  credentials: () => credentials,
  // Errors only: the generated denials fire detection rules, whose alerts would flood the output.
  log: createLogger('audit', { level: 'error' }),
  port: 0,
  adminPort: 0,
});
process.on('message', (message: { type?: string }) => {
  if (message.type !== 'head') return;
  void audit.ledger.head().then((head) => process.send?.({ type: 'head', seq: head.seq }));
});
process.once('SIGTERM', () => {
  void audit.close().then(() => process.exit(0));
});
process.send?.({ type: 'ready', url: audit.url });
