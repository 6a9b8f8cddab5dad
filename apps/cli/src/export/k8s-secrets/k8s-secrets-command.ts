import { lstat, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FIRST_ADMIN, formatProblem, loadConfig } from '@rampart/config';
import { isValidUsername } from '@rampart/identity';
import type { CommandIo } from '../../check-command.ts';
import { exportK8s } from '../k8s/export-k8s.ts';
import { writeSecretsDirectory } from './secrets-directory.ts';

const usage = `Usage: rampart export k8s-secrets [file] [--out dir] [--manifests dir] [--namespace ns]
                                 [--admin name] [--force]

Generate, from rampart.yaml (default: ./rampart.yaml), every key and secret the Secrets of
\`rampart export k8s\` need — the internal-token, gateway-token and audit signing keys, the pseudonym
key, identity's and each service's keyring, the confidential clients' secrets, the mesh's root CA
(so its bundle is in the public ConfigMap before anything starts) and identity's first-admin
bootstrap — into a directory of their own (0700, files 0600), with a kustomization.yaml over the
export that creates every Secret and ConfigMap: kubectl apply -k <dir>. The first admin's one-time
password is printed once, here; the directory holds only its argon2id hash. What is not ours to
make (the gateway's public certificate, PostgreSQL, Redis and webhook passwords) is left as empty
files to fill, listed below. See docs/deploy-kubernetes.md.

Options:
  --out dir          where to write (default: k8s-secrets beside rampart.yaml); must not exist
  --manifests dir    the export's directory, the overlay's base (default: k8s beside rampart.yaml)
  --namespace ns     the export's namespace (default: rampart-<name>)
  --admin name       the first admin's user name (default: ${FIRST_ADMIN})
  --force            replace an existing directory with new keys. Destructive: data sealed with
                     the old keyrings becomes unreadable, and a mesh authority whose volume holds
                     the old CA refuses the new one. For a new installation only.
  -h, --help         show this help

Exit status: 0 written, 1 rampart.yaml invalid or the directory exists, 2 usage error.
`;

/**
 * `rampart export k8s-secrets`: the keys directory and overlay of a Kubernetes installation.
 *
 * @example
 * process.exitCode = await exportSecretsCommand(['examples/shop/rampart.yaml', '--out', 'deploy/secrets'], io);
 */
export async function exportSecretsCommand(argv: string[], io: CommandIo): Promise<number> {
  const fail = (message: string, status: number): number => {
    io.stderr.write(`rampart export k8s-secrets: ${message}\n`);
    return status;
  };
  let values: {
    out?: string;
    manifests?: string;
    namespace?: string;
    admin?: string;
    force?: boolean;
    help?: boolean;
  };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        manifests: { type: 'string' },
        namespace: { type: 'string' },
        admin: { type: 'string' },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    return fail(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`, 2);
  }
  if (values.help === true) {
    io.stdout.write(usage);
    return 0;
  }
  if (positionals.length > 1)
    return fail(`expected at most one file, got ${positionals.length}\n\n${usage}`, 2);
  const admin = values.admin ?? FIRST_ADMIN;
  if (!isValidUsername(admin) || admin !== admin.normalize('NFKC').toLowerCase()) {
    return fail(
      `--admin ${JSON.stringify(admin)} is not a user name: 1 to 128 lower-case letters, digits, '.', '_', '@' or '-'`,
      2,
    );
  }

  const loaded = await loadConfig(positionals[0] ?? 'rampart.yaml');
  if (!loaded.ok) {
    for (const problem of loaded.problems)
      io.stderr.write(`${formatProblem(problem, { color: io.color })}\n`);
    return fail(`${loaded.file} is invalid; nothing written`, 1);
  }
  const { config } = loaded;
  const configDir = dirname(loaded.file);
  const out = resolve(values.out ?? join(configDir, 'k8s-secrets'));
  const manifests = resolve(values.manifests ?? join(configDir, 'k8s'));
  const namespace = values.namespace ?? `rampart-${config.name}`.slice(0, 63).replace(/-+$/u, '');

  let staging: string | undefined;
  try {
    const existing = await lstat(out).catch((error: unknown) => {
      if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
      throw error;
    });
    if (existing !== undefined && !existing.isDirectory())
      throw new TypeError(`${out} exists and is not a directory`);
    if (existing !== undefined && values.force !== true) {
      throw new TypeError(
        `${out} exists: it holds the keys of an installation, which new ones would replace ` +
          '(data sealed with its keyrings would become unreadable); pass --force only for a new installation',
      );
    }
    // The same workloads `rampart export k8s` writes (the namespace and images do not change them).
    const { topology } = exportK8s(config, await readFile(loaded.file, 'utf8'), {
      namespace,
      imageRegistry: 'rampart',
      imageTag: '0.1.0',
      digests: {},
      appDir: '/app',
    });
    // Written beside the target, then renamed onto it: a failure leaves no half-written directory.
    staging = await mkdtemp(join(dirname(out), `.${basename(out)}-`));
    const summary = await writeSecretsDirectory(staging, config, topology.workloads, {
      namespace,
      manifests: relative(out, manifests) || '.',
      admin,
      configDir,
    });
    if (existing !== undefined) await rm(out, { recursive: true, force: true });
    await rename(staging, out);
    staging = undefined;

    const lines = [
      `wrote ${summary.files.length} files to ${out} (0700, files 0600; namespace ${namespace})`,
      '',
      `first admin: ${summary.admin.username}`,
      `one-time password (shown once, never stored; change it at first sign-in): ${summary.admin.password}`,
      '',
    ];
    if (summary.clientSecretFiles.length > 0) {
      lines.push(
        "confidential clients' secrets, for their owners (identity has their SHA-256 only):",
        ...summary.clientSecretFiles.map((file) => `  ${join(out, file)}`),
        '',
      );
    }
    if (summary.toFill.size > 0) {
      lines.push('still yours to bring, into these empty files (nothing was invented for them):');
      for (const [file, what] of summary.toFill) lines.push(`  ${join(out, file)}: ${what}`);
      lines.push('');
    }
    lines.push(
      `next: rampart export k8s ${loaded.file} --out ${manifests} --namespace ${namespace}, ` +
        `then kubectl apply -k ${out}`,
      '',
    );
    io.stdout.write(lines.join('\n'));
    if (summary.demoSkipped) {
      io.stderr.write('warning: demo: true — no demo users are seeded on Kubernetes\n');
    }
    return 0;
  } catch (error) {
    if (staging !== undefined) await rm(staging, { recursive: true, force: true });
    return fail(`${error instanceof Error ? error.message : String(error)}; nothing written`, 1);
  }
}
