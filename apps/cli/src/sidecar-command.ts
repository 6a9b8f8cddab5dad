import { componentEnv } from '@rampart/config';
import type { CommandIo } from './check-command.ts';

const help = `Usage: rampart sidecar

Runs the sidecar of one service declared with \`upstream\` in rampart.yaml: it joins the mesh with
that service's identity, serves the service's port with mTLS, checks callers and internal tokens as
an SDK service does, forwards to the upstream with the verified caller in x-rampart-* headers, and
relays the process's outgoing calls from its egress port (port + 2000).

\`rampart up\` starts one for every such service (and the process of its \`run\`), with the component
contract's variables (${componentEnv.configFile.name}, ${componentEnv.component.name}, ${componentEnv.meshUrl.name}, …) and the
one-time mesh join token over its IPC channel. On Kubernetes (\`rampart export k8s\`) it runs as a
native sidecar beside the process's own image, joins with the pod's projected service-account token
(${componentEnv.meshPsatFile.name}) and hands the process its secrets in a shared directory
(${componentEnv.sidecarSharedDir.name}). Joining by hand with a join token from a file is planned.
See services/sidecar/README.md.
`;

/**
 * `rampart sidecar`: the sidecar's boot (`services/sidecar/src/main.ts`) in this process. It runs
 * until SIGTERM; a failure to start is logged and leaves exit code 1.
 */
export async function sidecarCommand(argv: string[], io: CommandIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(help);
    return 0;
  }
  if (argv.length > 0) {
    io.stderr.write(
      `rampart sidecar: takes no arguments (got ${argv.join(' ')}); it reads the component contract's variables\n\n${help}`,
    );
    return 2;
  }
  await import('@rampart/sidecar/main');
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
