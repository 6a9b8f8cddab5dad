// Starts bench/support/audit-child.ts — the audit service in a process of its own — with workload
// credentials issued by a mesh CA, and reads its CPU time from /proc, so that a benchmark measures
// the audit service's cost apart from the load generator's.
import { fork, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { componentSpiffeId, createWorkloadCsr, type CertificateAuthority } from '@rampart/mesh';

/** Linux clock ticks per second (`getconf CLK_TCK`), the unit of utime and stime in /proc. */
const CLK_TCK = 100;

/** CPU time (user + system) process `pid` has used so far, in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)": state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

export interface AuditProcess {
  /** `https://127.0.0.1:<port>`: `POST /v1/events` over mTLS. */
  readonly url: string;
  readonly pid: number;
  /** The ledger's head seq: how many events it holds. */
  head(): Promise<number>;
  stop(): Promise<void>;
}

export interface AuditProcessOptions {
  readonly ca: CertificateAuthority;
  readonly bundlePem: string;
  readonly trustDomain: string;
  /** A complete rampart.yaml (its `storage` decides embedded or PostgreSQL). */
  readonly yaml: string;
  /** An empty directory of the run's. */
  readonly dir: string;
  /** Extra environment (a `${env:…}` the YAML reads). */
  readonly env?: Readonly<Record<string, string>>;
}

export async function startAuditProcess(options: AuditProcessOptions): Promise<AuditProcess> {
  const { dir } = options;
  const stateDir = join(dir, 'audit');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const spiffeId = componentSpiffeId(options.trustDomain, 'audit');
  const { keyPem, csrPem } = await createWorkloadCsr(spiffeId);
  const issued = await options.ca.issue({ csrPem, spiffeId });
  const files = {
    keyFile: join(dir, 'audit.key.pem'),
    certFile: join(dir, 'audit.cert.pem'),
    caFile: join(dir, 'bundle.pem'),
    signingKeyFile: join(dir, 'audit-signing.key.pem'),
  };
  writeFileSync(files.keyFile, keyPem, { mode: 0o600 });
  writeFileSync(files.certFile, issued.certPem);
  writeFileSync(files.caFile, options.bundlePem);
  writeFileSync(
    files.signingKeyFile,
    generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }),
    { mode: 0o600 },
  );
  const child: ChildProcess = fork(join(import.meta.dirname, 'audit-child.ts'), [], {
    env: {
      ...process.env,
      ...options.env,
      RAMPART_BENCH_AUDIT: JSON.stringify({
        yaml: options.yaml,
        stateDir,
        configDir: dir,
        trustDomain: options.trustDomain,
        ...files,
      }),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [ready] = (await once(child, 'message')) as [{ type: string; url: string }];
  if (ready.type !== 'ready') throw new Error('the audit child did not start');
  return {
    url: ready.url,
    pid: child.pid ?? 0,
    async head() {
      const answer = once(child, 'message') as Promise<[{ seq: number }]>;
      child.send({ type: 'head' });
      return (await answer)[0].seq;
    },
    async stop() {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
