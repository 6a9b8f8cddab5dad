// Question: how many client-credentials grants, refresh grants, introspections and password
// sign-ins per second does identity serve, per core of its own CPU — and how close do sign-ins
// come to the cost of argon2id alone (their physical limit)?
// One identity process (test/support/replica-main.ts: the real buildIdentity on PostgreSQL, as a
// replica runs), load from this process over HTTPS keep-alive. Each operation's identity CPU is read
// from /proc/<pid>/stat, so "per core" is measured in identity itself, whatever the client costs.
// The argon2 baseline runs here with the same parameters and concurrency, in the same run.
// Reference: Keycloak's sizing guide plans 120 client-credential grants/s and 15 password
// logins/s per vCPU; targets: 10× its grants per core, sign-ins within 90% of argon2 alone.
// Run: node bench/identity.ts [seconds=5] [concurrency=8]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as oidc from 'openid-client';
import { Agent } from 'undici';
import { FieldCipher, LocalKeyring, openPostgresStore } from '@rampart/sdk';
import { freePorts, fetchWith, TestBrowser } from '@rampart/testing';
import {
  AccountStore,
  ARGON2_PARAMS,
  hashPassword,
  verifyPassword,
  generateClientSecret,
  hashClientSecret,
  CALLBACK,
  PASSWORD,
  authorization,
  exchange,
  signIn,
  createPostgresSchema,
  selfSigned,
  testConfigYaml,
} from '@rampart/identity/testing';

const seconds = Number(process.argv[2] ?? 5);
const concurrency = Number(process.argv[3] ?? 8);
const USERS = 64;
const CLK_TCK = 100;
const POSTGRES_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

// --- One identity process on a fresh PostgreSQL schema.
const dir = mkdtempSync(join(tmpdir(), 'rampart-bench-identity-'));
const tls = selfSigned(dir, '127.0.0.1');
writeFileSync(join(dir, 'tls.key'), tls.key);
writeFileSync(join(dir, 'tls.pem'), tls.cert);
const [port = 0] = await freePorts(1);
const issuer = `https://127.0.0.1:${port}/auth`;
const secrets = { 'shop-cli': generateClientSecret(), 'bench-app': generateClientSecret() };
const schema = await createPostgresSchema();
const identityYaml = `
  clients:
    - id: shop-cli
      type: confidential
      grants: [client_credentials]
      scopes: [orders:read]
    - id: bench-app
      type: confidential
      grants: [authorization_code, refresh_token]
      redirectUris: [${CALLBACK}]
      scopes: [openid, orders:read]
`;
// `--profile` writes a V8 CPU profile of identity to bench/results/identity.cpuprofile's folder.
const profile = process.argv.includes('--profile') ? ['--cpu-prof', `--cpu-prof-dir=${dir}/profile`] : [];
const child = spawn(
  process.execPath,
  [...profile, join(import.meta.dirname, '../services/identity/test/support/replica-main.ts')],
  {
    env: {
      ...process.env,
      IDENTITY_REPLICA: JSON.stringify({
        configYaml: testConfigYaml(issuer, { identityYaml }),
        port,
        postgresUrl: POSTGRES_URL,
        schema: schema.schema,
        keyringFile: join(dir, 'keyring.json'),
        tls: { key: join(dir, 'tls.key'), cert: join(dir, 'tls.pem') },
        clientSecretHashes: Object.fromEntries(
          Object.entries(secrets).map(([id, s]) => [id, hashClientSecret(s)]),
        ),
        redisUrl: REDIS_URL,
      }),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
await new Promise<void>((resolve, reject) => {
  child.once('exit', (code) => {
    reject(new Error(`identity exited with ${String(code)}`));
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('{"ready"')) resolve();
  });
});
const pid = child.pid ?? 0;
const agent = new Agent({ connections: concurrency * 2, connect: { ca: tls.cert } });
const fetchVia = fetchWith(agent);

function cpuUs(): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / CLK_TCK;
}

interface Run {
  readonly opsPerSecond: number;
  readonly p50ms: number;
  readonly p99ms: number;
  /** CPU per operation, µs: identity's, or this process's for the argon2 baseline. */
  readonly cpuUs: number;
}

/** This process's CPU time so far (every thread: argon2 runs on worker threads), µs. */
function ownCpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * Runs `op` from `concurrency` loops for `seconds`; each loop gets its index. CPU per operation is
 * identity's, or this process's own for the in-process argon2 baseline.
 */
async function measure(op: (worker: number) => Promise<void>, inIdentity = true): Promise<Run> {
  const latencies: number[] = [];
  const cpu = inIdentity ? cpuUs : ownCpuUs;
  const before = cpu();
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < deadline) {
        const start = performance.now();
        await op(worker);
        latencies.push(performance.now() - start);
      }
    }),
  );
  const count = latencies.length;
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.floor(count * q)] ?? 0;
  return {
    opsPerSecond: count / seconds,
    p50ms: at(0.5),
    p99ms: at(0.99),
    cpuUs: (cpu() - before) / count,
  };
}

// --- Users, created in the shared database as an admin would.
const accountsStore = openPostgresStore({ url: POSTGRES_URL, schema: schema.schema, maxConnections: 2 });
const accounts = new AccountStore({
  store: accountsStore,
  cipher: new FieldCipher(await LocalKeyring.open(join(dir, 'keyring.json'))),
});
for (let i = 0; i < USERS; i++) await accounts.createUser({ username: `user${i}`, password: PASSWORD });
await accountsStore.close();

const app = await oidc.discovery(
  new URL(issuer),
  'bench-app',
  undefined,
  oidc.ClientSecretBasic(secrets['bench-app']),
  {
    [oidc.customFetch]: fetchVia as unknown as oidc.CustomFetch,
  },
);
const cli = await oidc.discovery(
  new URL(issuer),
  'shop-cli',
  undefined,
  oidc.ClientSecretBasic(secrets['shop-cli']),
  {
    [oidc.customFetch]: fetchVia as unknown as oidc.CustomFetch,
  },
);

let signInCounter = 0;
/** One whole sign-in: authorization request, login page, password, callback, code exchange. */
async function signInOnce(): Promise<oidc.TokenEndpointResponse> {
  const user = `user${signInCounter++ % USERS}`;
  const auth = await authorization(app, 'openid orders:read');
  const page = await signIn(new TestBrowser({ issuer, fetch: fetchVia }), auth, {
    username: user,
    password: PASSWORD,
  });
  if (!page.url.startsWith(CALLBACK)) throw new Error(`sign-in of ${user} did not reach the callback`);
  return exchange(app, page.url, auth);
}

const NAMES = {
  argon2: 'argon2id verify alone (this process)',
  signIn: 'password sign-in (whole flow)',
  clientCredentials: 'client-credentials grant',
  refresh: 'refresh grant (rotation)',
  introspection: 'introspection (refresh token)',
} as const;
const results: Partial<Record<keyof typeof NAMES, Run>> = {};
// `--only signIn` (etc.) measures one operation, e.g. with `--profile`.
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt === -1 ? undefined : process.argv[onlyAt + 1];
const wanted = (name: keyof typeof NAMES): boolean => only === undefined || only === name;
try {
  // Warm-up: every path once, JIT and pools ready.
  await signInOnce();
  await oidc.clientCredentialsGrant(cli, { scope: 'orders:read' });
  const argon2Hash = await hashPassword(PASSWORD);

  if (wanted('argon2')) {
    results.argon2 = await measure(async () => {
      if (!(await verifyPassword(argon2Hash, PASSWORD))) throw new Error('argon2 verify failed');
    }, false);
  }
  if (wanted('signIn')) {
    results.signIn = await measure(async () => {
      await signInOnce();
    });
  }
  if (wanted('clientCredentials')) {
    results.clientCredentials = await measure(async () => {
      await oidc.clientCredentialsGrant(cli, { scope: 'orders:read' });
    });
  }
  // Each worker rotates its own chain, as a client would.
  const chains = await Promise.all(Array.from({ length: concurrency }, () => signInOnce()));
  const refreshTokens = chains.map((t) => t.refresh_token ?? '');
  if (wanted('refresh')) {
    results.refresh = await measure(async (worker) => {
      const next = await oidc.refreshTokenGrant(app, refreshTokens[worker] ?? '');
      refreshTokens[worker] = next.refresh_token ?? '';
    });
  }
  if (wanted('introspection')) {
    results.introspection = await measure(async (worker) => {
      const answer = await oidc.tokenIntrospection(app, refreshTokens[worker] ?? '');
      if (!answer.active) throw new Error('token inactive');
    });
  }
} finally {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  if (profile.length > 0) {
    const { cpSync } = await import('node:fs');
    cpSync(join(dir, 'profile'), join(tmpdir(), 'rampart-identity-profile'), { recursive: true });
    process.stderr.write(`CPU profile in ${join(tmpdir(), 'rampart-identity-profile')}\n`);
  }
  await agent.close();
  await schema.drop();
  rmSync(dir, { recursive: true, force: true });
}

const perCore = (run: Run): number => 1_000_000 / run.cpuUs;
const { argon2, signIn: logins, clientCredentials: grants } = results;
// Both per core-second of the CPU they used: a sign-in's whole cost against argon2id's alone.
const loginRatio = logins === undefined || argon2 === undefined ? 0 : perCore(logins) / perCore(argon2);
const grantsPerCore = grants === undefined ? 0 : perCore(grants);

const machine = `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`;
const date = new Date().toISOString().slice(0, 10);
const rows = (Object.keys(NAMES) as (keyof typeof NAMES)[])
  .flatMap((key) => {
    const run = results[key];
    return run === undefined ? [] : [[NAMES[key], run] as const];
  })
  .map(
    ([name, run]) =>
      `| ${name} | ${run.opsPerSecond.toFixed(0)} | ${run.p50ms.toFixed(2)} ms | ${run.p99ms.toFixed(2)} ms | ` +
      `${run.cpuUs.toFixed(0)} µs | ${perCore(run).toFixed(0)} |`,
  )
  .join('\n');
const report = `# Identity: grants, refreshes, introspections and sign-ins per second (${date})

Machine: ${machine}. One identity process on PostgreSQL (brute-force counters in Redis), HTTPS
keep-alive from this process, ${concurrency} concurrent clients, ${seconds} s per measurement.
argon2id parameters: m=${ARGON2_PARAMS.memoryCost} KiB, t=${ARGON2_PARAMS.timeCost}, p=${ARGON2_PARAMS.parallelism}.
A sign-in is the whole browser flow: authorization request, login page, password (one argon2id
verification), redirect with the code, and the code exchange.

| operation | per second | p50 | p99 | CPU per op | per core-second of CPU |
| --- | ---: | ---: | ---: | ---: | ---: |
${rows}

- CPU per op is identity's own (from /proc), except for the argon2id baseline: this process's, all threads.
- Per core-second of CPU, whole sign-ins reach **${(loginRatio * 100).toFixed(0)}%** of argon2id verifications alone
  (target ≥ 90%): the rest of a sign-in (six HTTP exchanges, sessions, codes, tokens) costs the remainder.
  Sign-ins per second of wall time are lower because the load generator (a scripted browser and
  openid-client), PostgreSQL and Redis share the same ${cpus().length} cores.
- Client-credentials grants: **${grantsPerCore.toFixed(0)} per core** of identity CPU; Keycloak plans 120 per vCPU,
  so **${(grantsPerCore / 120).toFixed(1)}×** (target ≥ 10×).
- The load generator, PostgreSQL and Redis share the machine's ${cpus().length} cores with identity.

\`\`\`json
${JSON.stringify({ seconds, concurrency, results, loginRatio, grantsPerCore }, null, 2)}
\`\`\`
`;
process.stdout.write(report);
if (!process.argv.includes('--no-write')) {
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(join(import.meta.dirname, 'results', `identity-${date}.md`), report);
}
