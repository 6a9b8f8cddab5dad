// The published shape of Rampart, end to end: `npm run pack`'s tarballs installed with npm into a
// fresh project outside the repository, a service written there on @rampart/sdk, `npx rampart check`
// and `npx rampart up`, and the service called through the gateway over HTTPS.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { childPids, freePlatformPorts, portsYaml, repoRoot } from '@rampart/testing';

const run = promisify(execFile);

/** The npm settings a user's environment may give (a private registry, a cache); npm's others from `npm test` are dropped. */
const NPM_SETTINGS = new Set(['npm_config_registry', 'npm_config_cache', 'npm_config_userconfig']);

/** npm and the CLI on the pinned Node 24 (first on PATH), without the repository's own npm run settings. */
function childEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.toLowerCase().startsWith('npm_') || NPM_SETTINGS.has(key.toLowerCase()),
    ),
  );
  return {
    ...env,
    PATH: `${dirname(process.execPath)}${delimiter}${process.env['PATH'] ?? ''}`,
    NO_COLOR: '1',
  };
}

/** Whether npm's registry answers; without it nothing can be installed. */
async function registryAvailability(): Promise<{ skip: false } | { skip: string }> {
  let registry = 'https://registry.npmjs.org/';
  try {
    registry =
      (await run('npm', ['config', 'get', 'registry'], { env: childEnv() })).stdout.trim() || registry;
    const answer = await fetch(new URL('-/ping', registry.endsWith('/') ? registry : `${registry}/`), {
      signal: AbortSignal.timeout(10_000),
    });
    await answer.body?.cancel();
    if (answer.ok) return { skip: false };
    throw new Error(`HTTP ${String(answer.status)}`);
  } catch (error) {
    const reason = `the npm registry ${registry} is not reachable (${(error as Error).message}): cannot install the packed tarballs' dependencies`;
    if (process.env['RAMPART_REQUIRE_SERVICES'] === '1')
      throw new Error(`${reason}; RAMPART_REQUIRE_SERVICES=1 forbids skipping`, { cause: error });
    return { skip: reason };
  }
}

/** The user's service: TypeScript in their own project (not under node_modules, so Node strips its types). */
const SERVICE = `import { runService } from '@rampart/sdk';

await runService(async (svc) => {
  svc.route({
    method: 'GET',
    url: '/hello',
    handler: (request) => {
      const subject: string = request.principal.subject;
      return { hello: subject };
    },
  });
});
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'es2024',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    strict: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    erasableSyntaxOnly: true,
    verbatimModuleSyntax: true,
    types: ['node'],
    skipLibCheck: true,
  },
  include: ['services'],
};

/** The versions of the repository's own TypeScript and Node types, for the project's type check. */
function devVersion(name: string): string {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as {
    version: string;
  };
  return `${name}@${pkg.version}`;
}

/** Every process below `pid` (rampart up → its components). */
function descendants(pid: number): number[] {
  return childPids(pid).flatMap((child) => [child, ...descendants(child)]);
}

describe('packed packages in a project outside the repository', async () => {
  const availability = await registryAvailability();
  // Made only when the tests run (a skipped run leaves nothing behind); components run as their
  // own system users when this runs as root, so they must be able to traverse it.
  const base = availability.skip === false ? mkdtempSync(join(tmpdir(), 'rampart-packaged-')) : tmpdir();
  if (availability.skip === false) chmodSync(base, 0o755);
  const packDir = join(base, 'pack');
  const project = join(base, 'project');
  let tarballs: string[] = [];
  let up: ChildProcess | undefined;
  let output = '';

  before(() => {
    assert.ok(relative(repoRoot, base).startsWith('..'), `${base} must be outside the repository`);
  });
  after(async () => {
    if (up?.pid !== undefined && up.exitCode === null) {
      try {
        process.kill(-up.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await sleep(500);
    }
    if (availability.skip === false) rmSync(base, { recursive: true, force: true });
  });

  async function waitFor(pattern: RegExp, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (pattern.test(output)) return;
      if (up?.exitCode !== null) break;
      await sleep(50);
    }
    throw new Error(`timed out waiting for ${String(pattern)}; rampart up said:\n${output}`);
  }

  it(
    'npm run pack compiles, stages and packs @rampart/sdk, @rampart/cli and what they need',
    availability,
    async () => {
      const { stdout } = await run(
        process.execPath,
        [join(repoRoot, 'scripts/pack/main.ts'), '--out', packDir],
        {
          cwd: repoRoot,
          env: childEnv(),
          maxBuffer: 16 * 1024 * 1024,
        },
      );
      tarballs = readdirSync(packDir)
        .filter((file) => file.endsWith('.tgz'))
        .map((file) => join(packDir, file));
      for (const name of ['rampart-sdk-', 'rampart-cli-', 'rampart-gateway-', 'rampart-identity-']) {
        assert.ok(
          tarballs.some((file) => file.includes(`/${name}`)),
          `${name}*.tgz packed:\n${stdout}`,
        );
      }
      assert.match(stdout, new RegExp(`✓ ${String(tarballs.length)} tarballs`));
      const cli = JSON.parse(readFileSync(join(packDir, 'stage/cli/package.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      assert.deepEqual(cli['bin'], { rampart: './src/main.js' });
      assert.equal(cli['private'], undefined);
      assert.equal(cli['devDependencies'], undefined);
    },
  );

  it(
    'npm installs the tarballs together, each @rampart package from its tarball and none from the registry',
    availability,
    async () => {
      mkdirSync(project);
      writeFileSync(
        join(project, 'package.json'),
        JSON.stringify({ name: 'hello-project', private: true, type: 'module' }, null, 2),
      );
      const npm = (args: string[]): Promise<{ stdout: string }> =>
        run('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline'], {
          cwd: project,
          env: childEnv(),
          timeout: 240_000,
          maxBuffer: 16 * 1024 * 1024,
        });
      await npm(['install', ...tarballs]);
      await npm(['install', '--save-dev', devVersion('typescript'), devVersion('@types/node')]);
      const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { resolved?: string }>;
      };
      const rampart = Object.entries(lock.packages).filter(([path]) =>
        /(^|\/)node_modules\/@rampart\//.test(path),
      );
      assert.equal(rampart.length, tarballs.length, 'every @rampart package once, hoisted');
      for (const [path, entry] of rampart) {
        // A name the registry resolved instead would be someone else's package (dependency confusion).
        assert.match(entry.resolved ?? '', /^file:.*\.tgz$/, `${path} comes from a packed tarball`);
      }
      // Node refuses to strip types under node_modules: nothing installed may need it.
      const typescriptSources = readdirSync(join(project, 'node_modules/@rampart'), {
        recursive: true,
        encoding: 'utf8',
      })
        .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
        // The console's browser modules are served as text (type-stripped by the gateway), never imported.
        .filter((file) => !file.startsWith('console/src/'));
      assert.deepEqual(typescriptSources, []);
    },
  );

  it(
    "a TypeScript service in the project type-checks against @rampart/sdk's declarations",
    availability,
    async () => {
      mkdirSync(join(project, 'services/hello'), { recursive: true });
      writeFileSync(join(project, 'services/hello/main.ts'), SERVICE);
      writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
      await run(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', project], {
        cwd: project,
        env: childEnv(),
      });
    },
  );

  it(
    'npx rampart check accepts the project, and npx rampart up serves it through the gateway',
    availability,
    async () => {
      const { platform, extra } = await freePlatformPorts(1);
      const [servicePort] = extra;
      assert.ok(servicePort !== undefined);
      writeFileSync(
        join(project, 'rampart.yaml'),
        [
          'version: 1',
          'name: hello',
          portsYaml(platform),
          'identity:',
          '  clients:',
          '    - { id: hello-cli, type: confidential, grants: [client_credentials], scopes: [hello:read] }',
          'policies:',
          '  read-hello: { scopes: [hello:read] }',
          'services:',
          '  hello:',
          '    entry: services/hello/main.ts',
          `    port: ${String(servicePort)}`,
          '    callers: [gateway]',
          '    routes:',
          '      - { method: GET, path: /hello, policy: read-hello }',
          '',
        ].join('\n'),
      );
      const check = await run('npx', ['--no-install', 'rampart', 'check'], { cwd: project, env: childEnv() });
      assert.match(check.stdout, /rampart\.yaml is valid \(1 service, 1 route\)/);

      // The bin npm linked (what `npx rampart` runs), started directly so that the exit status and the
      // Ctrl-C below are rampart's own, not npm exec's (which ends by the signal itself).
      up = spawn(join(project, 'node_modules/.bin/rampart'), ['up', '--ready-timeout', '60'], {
        cwd: project,
        env: childEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group, like a shell job: SIGINT to the group is a terminal's Ctrl-C.
        detached: true,
      });
      up.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      up.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      await waitFor(/✓ hello is up in/, 150_000);
      // The components run from the installed, compiled packages; the service from the project.
      const commands = descendants(up.pid ?? 0).map((pid) =>
        readFileSync(`/proc/${String(pid)}/cmdline`, 'utf8'),
      );
      for (const entry of ['mesh-service', 'identity', 'audit', 'gateway'].map(
        (name) => `${project}/node_modules/@rampart/${name}/src/main.js`,
      )) {
        assert.ok(
          commands.some((command) => command.includes(entry)),
          `a component runs ${entry}:\n${commands.join('\n')}`,
        );
      }
      assert.ok(commands.some((command) => command.includes(`${project}/services/hello/main.ts`)));

      const home = join(project, '.rampart');
      const agent = new Agent({ connect: { ca: readFileSync(join(home, 'ca.pem'), 'utf8') } });
      try {
        const gateway = `https://127.0.0.1:${String(platform.gateway)}`;
        const secret = readFileSync(join(home, 'clients/hello-cli.secret'), 'utf8').trim();
        const issued = await request(`${gateway}/auth/token`, {
          dispatcher: agent,
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`hello-cli:${secret}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: 'grant_type=client_credentials&scope=hello%3Aread',
        });
        const { access_token: token } = (await issued.body.json()) as { access_token?: string };
        assert.equal(issued.statusCode, 200);
        assert.ok(token);

        const allowed = await request(`${gateway}/hello`, {
          dispatcher: agent,
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(allowed.statusCode, 200);
        assert.deepEqual(await allowed.body.json(), { hello: 'client:hello-cli' });

        const anonymous = await request(`${gateway}/hello`, { dispatcher: agent });
        assert.equal(anonymous.statusCode, 401);
        assert.match(String(anonymous.headers['content-type']), /application\/problem\+json/);
        await anonymous.body.dump();

        // The console's files are served from the installed @rampart/console.
        const console_ = await request(`${gateway}/console/`, { dispatcher: agent });
        assert.equal(console_.statusCode, 200);
        assert.match(await console_.body.text(), /<!doctype html>/i);
      } finally {
        await agent.close();
      }

      const pid = up.pid;
      assert.ok(pid !== undefined);
      const exited = new Promise<number | null>((done) => up?.once('exit', done));
      process.kill(-pid, 'SIGINT');
      assert.equal(await exited, 0, output);
      assert.match(output, /✓ stopped/);
    },
  );
});
