#!/usr/bin/env node
import { useColor } from './terminal.ts';

const usage = `Usage: rampart <command> [options]

Commands:
  up [file]       start every component of the platform described by file (default: rampart.yaml)
  check [file]    validate a rampart.yaml; --json for machine-readable output
  schema          print the JSON Schema of rampart.yaml
  admin login [file]
                  sign in as an admin in a browser and get a token for identity's admin API
  audit verify [file]
                  check the audit trail's hash chain and signed checkpoints; name the first tampered event
  audit search [file] [filters]
                  search the audit trail by time, event, outcome, subject, client, IP, route, trace…
  audit tail [file] [filters]
                  the last audit events, then each new one as it arrives (Ctrl-C to stop)
  sidecar         run the sidecar of a service declared with \`upstream\` (rampart up starts one per such service)
  logs [file] [component…] [--trace id] [--since age] [--level l] [-f] [--json]
                  the components' logs merged by time; one request across components with --trace
  probe <gateway-url> --credentials f [--config f] [--allow-writes] [--format text|json]
                  test a running gateway as an attacker would (tokens, BOLA, scopes, paths, CORS, TLS, limits…)
  scan [dir] [--module m,…] [--format text|json|sarif] [--fail-on sev] [--baseline f]
                  scan Dockerfiles, Kubernetes manifests, rampart.yaml and TS/JS code; SARIF for code scanning
  export k8s [file] [--out dir] [--namespace ns] [--image-registry r] [--digest image=sha256:…]
                  write kustomize-ready Kubernetes manifests: restricted pods, call-graph NetworkPolicies
  export k8s-secrets [file] [--out dir] [--admin name]
                  generate their keys, mesh CA, first admin and Secrets overlay (kubectl apply -k)

Run 'rampart <command> --help' for a command's options.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const io = { stdout: process.stdout, stderr: process.stderr, color: useColor(process.stdout) };
  switch (command) {
    // Each command loads only its own modules: `check` does not pay for the supervisor's.
    case 'up':
      return (await import('./up/up-command.ts')).upCommand(rest, io);
    case 'check':
      return (await import('./check-command.ts')).checkCommand(rest, io);
    case 'schema':
      return (await import('./schema-command.ts')).schemaCommand(io);
    case 'admin':
      if (rest[0] === 'login')
        return (await import('./admin-login-command.ts')).adminLoginCommand(rest.slice(1), io);
      io.stderr.write(
        `rampart admin: expected 'login', got ${rest[0] === undefined ? 'nothing' : `'${rest[0]}'`}\n\n${usage}`,
      );
      return 2;
    case 'audit':
      return (await import('./audit-command.ts')).auditCommand(rest, io);
    case 'logs':
      return (await import('./logs-command.ts')).logsCommand(rest, io);
    case 'scan':
      return (await import('./scan-command.ts')).scanCommand(rest, io);
    case 'export':
      return (await import('./export/export-command.ts')).exportCommand(rest, io);
    case 'probe':
      return (await import('./probe-command.ts')).probeCommand(rest, io);
    case 'sidecar':
      return (await import('./sidecar-command.ts')).sidecarCommand(rest, io);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.stdout.write(usage);
      return command === undefined ? 2 : 0;
    default:
      io.stderr.write(`rampart: unknown command '${command}'\n\n${usage}`);
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
