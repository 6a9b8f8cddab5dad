import { componentSpiffeId, serviceSpiffeId } from '@rampart/mesh';
import { AUDIT_STREAM, auditSubject } from '@rampart/sdk';
import { AUDIT_CONSUMER } from './nats-stream.ts';

export interface NatsServerConfigOptions {
  readonly trustDomain: string;
  /** The platform components that publish events (`gateway`, `identity`, `mesh`). */
  readonly components: readonly string[];
  /** The services of rampart.yaml. */
  readonly services: readonly string[];
  /** `listen`, e.g. `127.0.0.1:4222`. */
  readonly listen: string;
  /** The NATS server's certificate: `spiffe://<trust domain>/rampart/nats`, from the mesh CA. */
  readonly certFile: string;
  readonly keyFile: string;
  /** The mesh's trust bundle (`.rampart/mesh-bundle.pem`): client certificates must chain to it. */
  readonly caFile: string;
  /** JetStream's storage directory. */
  readonly storeDir: string;
}

/**
 * A nats-server configuration for the audit transport: TLS with client certificates required and
 * mapped to users by their SPIFFE ID (`verify_and_map`: nats-server tries a certificate's e-mail,
 * DNS and then URI SANs — Rampart's workload certificates carry a single URI SAN), and one user per
 * workload, with no `no_auth_user`, so a connection without a mesh certificate is refused. Each
 * component may publish on its own subject alone (`rampart.audit.events.<name>`) and receive
 * replies on its own inbox (`_INBOX_<name>.>`, the client's inbox prefix), so no component can
 * publish in another's name; the audit service may manage and consume the stream, and publish no
 * event. Anything not allowed is denied.
 *
 * @example
 * writeFileSync('nats.conf', natsServerConfig({ trustDomain, components: ['gateway', 'identity', 'mesh'], services: ['orders'], … }));
 */
export function natsServerConfig(options: NatsServerConfigOptions): string {
  const { trustDomain } = options;
  const publisher = (spiffeId: string, name: string): string =>
    `    { user: ${quote(spiffeId)}, permissions: { publish: { allow: [${quote(auditSubject(name))}] }, subscribe: { allow: [${quote(`_INBOX_${name}.>`)}] } } }`;
  const users = [
    ...options.components.map((name) => publisher(componentSpiffeId(trustDomain, name), name)),
    ...options.services.map((name) => publisher(serviceSpiffeId(trustDomain, name), name)),
    `    { user: ${quote(componentSpiffeId(trustDomain, 'audit'))}, permissions: { publish: { allow: [${[
      '$JS.API.INFO',
      `$JS.API.STREAM.*.${AUDIT_STREAM}`,
      `$JS.API.CONSUMER.*.${AUDIT_STREAM}.${AUDIT_CONSUMER}`,
      `$JS.API.CONSUMER.*.${AUDIT_STREAM}.${AUDIT_CONSUMER}.>`,
      `$JS.API.CONSUMER.MSG.NEXT.${AUDIT_STREAM}.${AUDIT_CONSUMER}`,
      `$JS.ACK.${AUDIT_STREAM}.${AUDIT_CONSUMER}.>`,
    ]
      .map(quote)
      .join(', ')}] }, subscribe: { allow: [${quote('_INBOX_audit.>')}] } } }`,
  ];
  return [
    "# Rampart's audit transport (natsServerConfig of @rampart/audit): security events to the audit service.",
    '# Clients authenticate with their mesh workload certificate; each may publish its own events only.',
    `listen: ${quote(options.listen)}`,
    'jetstream {',
    `  store_dir: ${quote(options.storeDir)}`,
    '}',
    'tls {',
    `  cert_file: ${quote(options.certFile)}`,
    `  key_file: ${quote(options.keyFile)}`,
    `  ca_file: ${quote(options.caFile)}`,
    '  verify_and_map: true',
    '  timeout: 2',
    '}',
    'authorization {',
    '  users = [',
    users.join(',\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}

/** Control characters, a quote or a backslash: never in a value Rampart writes (names, paths). */
const UNQUOTABLE = new RegExp('[\\p{Cc}"\\\\]', 'u');

/** A double-quoted string of the nats-server configuration format (JSON's escaping is a subset). */
function quote(value: string): string {
  if (UNQUOTABLE.test(value))
    throw new TypeError(
      `a nats-server configuration value may not contain quotes, backslashes or control characters: ${JSON.stringify(value)}`,
    );
  return `"${value}"`;
}
