import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { componentEnv } from './component-env.ts';
import { IMAGE_REFERENCE_PATTERN } from './image-reference.ts';

/**
 * The rampart.yaml schema. It is the single source of truth: the loader validates against it,
 * `rampart schema` prints it as JSON Schema, and the TypeScript types below derive from it.
 * Every object is closed (`additionalProperties: false`) so a typo is an error, not a silent no-op.
 */

const strict = { additionalProperties: false } as const;

/** A name usable as a DNS label, a SPIFFE path segment and a PostgreSQL schema name. */
export const Name = Type.String({
  pattern: '^[a-z][a-z0-9-]{0,62}$',
  description: 'Lower-case letters, digits and dashes, starting with a letter (max 63).',
});

/** `30s`, `15m`, `12h`, `14d`. */
export const Duration = Type.String({
  pattern: '^[1-9][0-9]*(ms|s|m|h|d)$',
  description: 'A duration such as 500ms, 30s, 15m, 12h or 14d.',
});

/** Secrets are never written inline: `${env:NAME}` or `${file:path}` (relative to the config). */
export const SecretRef = Type.String({
  pattern: '^\\$\\{(env:[A-Za-z_][A-Za-z0-9_]*|file:[^}]+)\\}$',
  description: 'A reference to a secret: ${env:NAME} or ${file:relative/or/absolute/path}.',
});

export const Port = Type.Integer({ minimum: 1, maximum: 65535 });

/** Switches a limit off. It must be written out: a route without `rateLimit` gets the default. */
export const Off = Type.Literal('off', { description: 'No limit at all (must be written out).' });

/** A limit counted by one identity, which the place it is written at names (no `by`). */
export const CountedLimit = Type.Object(
  {
    points: Type.Integer({ minimum: 1, description: 'Requests allowed per window.' }),
    window: Duration,
    burst: Type.Optional(Type.Integer({ minimum: 0, description: 'Extra requests allowed in a burst.' })),
    blockFor: Type.Optional(Duration),
  },
  strict,
);

export const RateLimit = Type.Object(
  {
    ...CountedLimit.properties,
    by: Type.Optional(
      Type.Array(
        Type.Union([Type.Literal('ip'), Type.Literal('client'), Type.Literal('user'), Type.Literal('route')]),
        {
          minItems: 1,
          uniqueItems: true,
          description: 'Keys the limit is counted by.',
        },
      ),
    ),
  },
  strict,
);

/** `gateway.defaultRateLimit`: the limits of every route that has no `rateLimit` of its own. */
export const DefaultRateLimit = Type.Union(
  [
    Off,
    Type.Object(
      {
        principal: Type.Optional(
          Type.Union([CountedLimit, Off], {
            description:
              'Per route and per token subject (a user, or a client with client credentials). Default 100 per 10s.',
          }),
        ),
        ip: Type.Optional(
          Type.Union([CountedLimit, Off], {
            description: 'Per route and per client IP (IPv6 by /64). Default 500 per 10s.',
          }),
        ),
      },
      strict,
    ),
  ],
  {
    description:
      'Limits for every route without its own `rateLimit`, counted per route. On by default; "off" switches both off.',
  },
);

export const HttpMethod = Type.Union(
  ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => Type.Literal(m)),
);

/** A route's request schema: JSON Schema objects for body, query and path parameters. */
export const RequestSchema = Type.Object(
  {
    body: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    query: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    contentTypes: Type.Optional(
      Type.Array(Type.String({ minLength: 3 }), { minItems: 1, uniqueItems: true }),
    ),
    maxBodyBytes: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  strict,
);

export const Route = Type.Object(
  {
    method: HttpMethod,
    path: Type.String({
      pattern:
        '^/([A-Za-z0-9._~-]+|\\{[a-zA-Z][a-zA-Z0-9]*\\})?(/([A-Za-z0-9._~-]+|\\{[a-zA-Z][a-zA-Z0-9]*\\}))*$',
      description: 'An absolute path; parameters are written {name}.',
    }),
    policy: Type.Optional(Type.String({ minLength: 1, description: 'Name of a policy under `policies`.' })),
    rateLimit: Type.Optional(
      Type.Union([RateLimit, Off], {
        description:
          'This route\'s own limit, in place of `gateway.defaultRateLimit`; "off" for none at all.',
      }),
    ),
    schema: Type.Optional(RequestSchema),
    cache: Type.Optional(Type.Object({ ttl: Duration }, strict)),
  },
  strict,
);

export const Service = Type.Object(
  {
    entry: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'The entry file of a service built on @rampart/sdk, relative to rampart.yaml. A service has `entry` or `upstream`, not both.',
      }),
    ),
    upstream: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'An unmodified process (any language) behind `rampart sidecar`: its plain-HTTP address on loopback, ' +
          "e.g. http://127.0.0.1:5000. The sidecar serves `port` with the service's mesh identity and forwards there.",
      }),
    ),
    run: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'With `upstream`: the command `rampart up` starts beside the sidecar (split on spaces, no shell; run from ' +
          'the directory of rampart.yaml; PORT, RAMPART_EGRESS_URL, RAMPART_EGRESS_SECRET and RAMPART_SIDECAR_SECRET in its environment). ' +
          'Without it the process is started by you.',
      }),
    ),
    egressPort: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 65535,
        description:
          "With `upstream`: the sidecar's plain-HTTP port on loopback through which the process calls other services (default: port + 2000).",
      }),
    ),
    image: Type.Optional(
      Type.String({
        pattern: IMAGE_REFERENCE_PATTERN,
        maxLength: 456,
        description:
          'With `upstream`: the container image of the process on Kubernetes (`rampart export k8s` puts it beside ' +
          "the sidecar in one pod, running the image's own entrypoint; `rampart up` ignores it), e.g. " +
          'ghcr.io/acme/reviews:1.4.2@sha256:<64 hex> — pin a digest (or pass `--app-image <service>=<ref>` to the export).',
      }),
    ),
    port: Port,
    adminPort: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 65535,
        description: 'Plain-HTTP port on loopback for /healthz, /readyz and /metrics (default: port + 1000).',
      }),
    ),
    callers: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        uniqueItems: true,
        description: 'Who may call this service: `gateway` or other service names. None by default.',
      }),
    ),
    sensitive: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        uniqueItems: true,
        description:
          'Fields holding secrets or PII: masked in logs; the SDK refuses to store their request values unencrypted (seal them with svc.fields.encrypt).',
      }),
    ),
    routes: Type.Optional(Type.Array(Route)),
  },
  strict,
);

/**
 * An HTTPS upstream outside the mesh (a partner's API, a SaaS endpoint): the gateway forwards its
 * routes over TLS verified against `ca` alone, with no internal token and none of the client's
 * credentials (docs/adr/0015-external-upstreams.md). It is no workload: nothing in the mesh calls it.
 */
export const ExternalService = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: 2048,
      description:
        'Where its routes go: https://host[:port][/base]. A route path is appended to the base path ' +
        '(GET /quotes with url https://partner.example/api reaches /api/quotes). https only; no user:password@, query or fragment.',
    }),
    ca: Type.String({
      minLength: 1,
      description:
        "The CA certificate(s) (PEM) the upstream's certificate must chain to, relative to rampart.yaml's directory. " +
        "Only these are trusted for it, never the system's store. Read again whenever the file changes.",
    }),
    serverName: Type.Optional(
      Type.String({
        maxLength: 253,
        pattern:
          '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$',
        description:
          "The name sent as SNI and checked in the upstream's certificate, when it is not the URL's host " +
          '(an upstream reached by address, or behind a name of its own).',
      }),
    ),
    routes: Type.Optional(Type.Array(Route)),
  },
  {
    ...strict,
    description:
      'An HTTPS upstream outside the mesh, reached by the gateway alone over TLS pinned to `ca`. It gets neither ' +
      "the client's credentials nor an internal token, and no service can call it.",
  },
);

export const Policy = Type.Object(
  {
    scopes: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { uniqueItems: true })),
    groups: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { uniqueItems: true })),
    mfa: Type.Optional(Type.Boolean({ description: 'Require a token obtained with MFA.' })),
    cedar: Type.Optional(Type.String({ minLength: 1, description: 'A Cedar policy set, inline.' })),
    public: Type.Optional(Type.Literal(true, { description: 'Allow without a token. Must be explicit.' })),
  },
  strict,
);

export const Client = Type.Object(
  {
    id: Name,
    type: Type.Union([Type.Literal('confidential'), Type.Literal('public')]),
    grants: Type.Array(
      Type.Union([
        Type.Literal('authorization_code'),
        Type.Literal('refresh_token'),
        Type.Literal('client_credentials'),
        Type.Literal('urn:ietf:params:oauth:grant-type:token-exchange'),
      ]),
      { minItems: 1, uniqueItems: true },
    ),
    redirectUris: Type.Optional(Type.Array(Type.String({ format: 'uri' }), { uniqueItems: true })),
    postLogoutRedirectUris: Type.Optional(
      Type.Array(Type.String({ format: 'uri' }), {
        uniqueItems: true,
        description:
          'Where identity may send the browser back after RP-initiated logout ' +
          '(post_logout_redirect_uri, matched exactly). Only with authorization_code.',
      }),
    ),
    scopes: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { uniqueItems: true })),
    secret: Type.Optional(SecretRef),
    requireMfa: Type.Optional(Type.Boolean()),
    resourceServer: Type.Optional(
      Type.Literal(true, {
        description:
          'A resource server of its own (an API gateway or service outside Rampart): this confidential ' +
          'client may introspect every token identity issues (RFC 7662), not only its own.',
      }),
    ),
    idTokenSignedResponseAlg: Type.Optional(
      Type.Union([Type.Literal('ES256'), Type.Literal('RS256')], {
        description:
          'How ID tokens for this client are signed: ES256 (default) or RS256, for relying parties ' +
          'that support only the algorithm OpenID Connect requires of every provider.',
      }),
    ),
    accessTokenFormat: Type.Optional(
      Type.Union([Type.Literal('jwt'), Type.Literal('opaque')], {
        description:
          'Access tokens for the API: jwt (default; RFC 9068, verified by the gateway alone) or opaque ' +
          '(random strings that carry no readable claims; the gateway checks each with identity by ' +
          'introspection, so a revoked token stops working within seconds).',
      }),
    ),
  },
  strict,
);

/**
 * How many processes of a platform component `rampart up` runs (`gateway.replicas`,
 * `identity.replicas`): each its own supervised process, all on the component's one port
 * (SO_REUSEPORT), each with an admin port of its own (see `replicaAdminPort`).
 */
export const Replicas = (component: string, needs: string): ReturnType<typeof Type.Integer> =>
  Type.Integer({
    minimum: 1,
    maximum: 16,
    description:
      `Processes of ${component} rampart up runs (default 1), sharing its port (the kernel spreads connections); ` +
      `replica k (k ≥ 2) serves its admin port at the component's + 100·(k−1). More than 1 needs ${needs}.`,
  });

export const Identity = Type.Object(
  {
    replicas: Type.Optional(
      Replicas('identity', 'storage.sql on PostgreSQL (the embedded store has one writer)'),
    ),
    issuer: Type.Optional(Type.String({ format: 'uri' })),
    dangerouslyAllowHttpIssuer: Type.Optional(
      Type.Literal(true, {
        description:
          'Fetch the issuer key set over plain HTTP. For tests only; rampart up warns at every start.',
      }),
    ),
    tokens: Type.Optional(
      Type.Object(
        {
          accessTokenTtl: Type.Optional(Duration),
          refreshTokenIdleTtl: Type.Optional(Duration),
          refreshTokenAbsoluteTtl: Type.Optional(Duration),
          refreshReuseGrace: Type.Optional(Duration),
        },
        strict,
      ),
    ),
    mfa: Type.Optional(
      Type.Object(
        {
          methods: Type.Optional(
            Type.Array(Type.Union([Type.Literal('totp'), Type.Literal('passkey')]), { uniqueItems: true }),
          ),
          requireForGroups: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { uniqueItems: true })),
        },
        strict,
      ),
    ),
    clients: Type.Optional(Type.Array(Client)),
  },
  strict,
);

export const Storage = Type.Object(
  {
    sql: Type.Optional(
      Type.Union([
        Type.Object({ kind: Type.Literal('embedded') }, strict),
        Type.Object(
          {
            kind: Type.Literal('postgres'),
            url: Type.String({
              minLength: 1,
              description:
                `What each service connects with: postgres://rampart_{service}:\${env:${componentEnv.sqlPassword.name}}@host/db — ` +
                '{service} becomes the service name; each logs in as its own role.',
            }),
            adminUrl: Type.Optional(
              Type.String({
                minLength: 1,
                description:
                  'A role that may create roles and schemas (a reference, e.g. ${env:RAMPART_SQL_ADMIN_URL}). ' +
                  'When set, rampart up gives each service its own role, schema and a fresh password ' +
                  `(in ${componentEnv.sqlPassword.name}) at every start. Use a database of its own for Rampart.`,
              }),
            ),
          },
          strict,
        ),
      ]),
    ),
    redis: Type.Optional(Type.Object({ url: Type.String({ minLength: 1 }) }, strict)),
    nats: Type.Optional(
      Type.Object(
        {
          url: Type.String({
            minLength: 1,
            description:
              'tls://host:port: every component publishes its security events there with its workload certificate ' +
              '(the nats-server configuration is in docs/events.md). nats://host:port is plaintext and unauthenticated.',
          }),
          dangerouslyAllowUnauthenticated: Type.Optional(
            Type.Boolean({
              description:
                "Accept a nats:// URL: any process that reaches NATS can then publish events in any component's name. " +
                'For tests only; rampart check and every start warn.',
            }),
          ),
        },
        {
          ...strict,
          description:
            'NATS JetStream as the transport of security events to the audit service (stream RAMPART_AUDIT, ' +
            'subjects rampart.audit.events.<component>). Without it, components post to the audit service over mTLS.',
        },
      ),
    ),
  },
  strict,
);

export const Ports = Type.Object(
  {
    gateway: Type.Optional(Port),
    admin: Type.Optional(Port),
    identity: Type.Optional(Port),
    identityAdmin: Type.Optional(Port),
    mesh: Type.Optional(Port),
    meshAdmin: Type.Optional(Port),
    audit: Type.Optional(Port),
    auditAdmin: Type.Optional(Port),
  },
  strict,
);

/** An exact origin as browsers send it: scheme, lower-case host, optional port; no path. */
const Origin = Type.String({
  pattern:
    '^https?://(\\[[0-9a-f:.]+\\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)(:[0-9]{1,5})?$|^\\*$',
  description:
    'An exact origin such as https://shop.example or http://127.0.0.1:5173 (no path, no trailing slash), or "*".',
});

/** An HTTP field name (RFC 9110 token). */
const FieldName = Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" });

export const Gateway = Type.Object(
  {
    trustedProxies: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        uniqueItems: true,
        description:
          'Peers whose X-Forwarded-For is believed: addresses or CIDRs (10.0.0.7, 10.0.0.0/8, fd00::/8). None by default.',
      }),
    ),
    cors: Type.Optional(
      Type.Object(
        {
          origins: Type.Array(Origin, {
            minItems: 1,
            uniqueItems: true,
            description:
              'Origins whose pages may call the routes. "*" (any) is refused together with credentials.',
          }),
          credentials: Type.Optional(
            Type.Boolean({ description: 'Send Access-Control-Allow-Credentials: true (default false).' }),
          ),
          methods: Type.Optional(
            Type.Array(HttpMethod, {
              minItems: 1,
              uniqueItems: true,
              description: 'Methods a preflight may allow (default: GET, HEAD, POST, PUT, PATCH, DELETE).',
            }),
          ),
          headers: Type.Optional(
            Type.Array(FieldName, {
              uniqueItems: true,
              description: 'Request fields a preflight may allow (default: authorization, content-type).',
            }),
          ),
          exposeHeaders: Type.Optional(
            Type.Array(FieldName, {
              uniqueItems: true,
              description:
                'Response fields a page may read beyond the safelisted ones (default: x-request-id, retry-after).',
            }),
          ),
          maxAge: Type.Optional(
            Type.String({
              ...Duration,
              description: 'How long a browser may cache a preflight (default 10m).',
            }),
          ),
        },
        strict,
      ),
    ),
    // The per-IP limit on /auth, identity's endpoints (default 600 per 1m per IP, blocked 1m on excess).
    identityRateLimit: Type.Optional(RateLimit),
    defaultRateLimit: Type.Optional(DefaultRateLimit),
    publicUrl: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2048,
        description:
          'The origin clients reach the gateway at, e.g. https://api.example.com (https, no path): the audience of ' +
          "API tokens, the issuer's default base (<publicUrl>/auth), the console's redirect URIs and what DPoP proofs " +
          'name. Default https://127.0.0.1:<ports.gateway>; set it wherever clients come from elsewhere (a cluster).',
      }),
    ),
    listen: Type.Optional(
      Type.Array(Type.String({ minLength: 2, maxLength: 45 }), {
        minItems: 1,
        uniqueItems: true,
        description:
          'The addresses the public port (ports.gateway) is bound on: IP literals, e.g. [0.0.0.0, "::"] for every ' +
          'interface (an IPv6 address binds IPv6 alone). Default [127.0.0.1]: this host only.',
      }),
    ),
    tls: Type.Optional(
      Type.Object(
        {
          certFile: Type.String({
            minLength: 1,
            description:
              "The public certificate (PEM, leaf first then its chain), relative to rampart.yaml's directory. " +
              'Read again whenever it changes (certbot, cert-manager): a pair that does not match is refused and the old one kept.',
          }),
          keyFile: Type.String({
            minLength: 1,
            description:
              "Its private key (PEM), relative to rampart.yaml's directory; readable by its owner alone (0600 or 0400).",
          }),
          caFile: Type.Optional(
            Type.String({
              minLength: 1,
              description:
                "The root that signed certFile, when it is not in the system's trust store: the gateway trusts it to " +
                "fetch identity.issuer's key set through its own public address.",
            }),
          ),
        },
        {
          ...strict,
          description:
            'A certificate and key you supply (a public CA, your company CA) in place of the local edge CA of rampart up.',
        },
      ),
    ),
    replicas: Type.Optional(
      Replicas('the gateway', 'storage.redis (so that rate limits stay exact across them)'),
    ),
    workers: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 256 }), Type.Literal('auto')], {
        description:
          'Worker threads running the pipeline, each on the public port (SO_REUSEPORT). "auto" (the default): one per core.',
      }),
    ),
  },
  strict,
);

const Severity = Type.Union(
  [Type.Literal('low'), Type.Literal('medium'), Type.Literal('high'), Type.Literal('critical')],
  { description: 'An alert severity: low, medium, high or critical.' },
);

/** Where alerts are POSTed, signed: https only (see services/audit/README.md, "Alert webhook"). */
export const AlertWebhook = Type.Object(
  {
    url: Type.String({
      // https, a host, no userinfo (a password in a URL ends up in logs and shell histories).
      pattern: '^https://[^/?#@\\s]+(?:[/?#]\\S*)?$',
      maxLength: 2048,
      description:
        'An https:// URL each alert is POSTed to (no user:password@; plain http is refused: alerts name addresses and subjects).',
    }),
    secret: Type.String({
      ...SecretRef,
      description:
        'The HMAC-SHA-256 key signing each delivery (Rampart-Signature): ${env:NAME} or ${file:path}, at least 32 bytes.',
    }),
    minSeverity: Type.Optional(
      Type.Union(Severity.anyOf, {
        description: 'Send alerts of this severity and above (default: low, all).',
      }),
    ),
  },
  {
    ...strict,
    description: 'Sends every alert as signed JSON, retried with backoff, never blocking ingest.',
  },
);

/** Extra detection rules beside, or instead of, the shipped pack. */
export const AuditRules = Type.Object(
  {
    dir: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'A directory of *.yaml detection rules, relative to rampart.yaml, loaded with the shipped pack.',
      }),
    ),
    shipped: Type.Optional(
      Type.Boolean({ description: 'Load the shipped rule pack (default true); false keeps only `dir`.' }),
    ),
  },
  strict,
);

const Weekday = Type.Union(
  ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((day) => Type.Literal(day)),
  { description: 'A day of the week: mon, tue, wed, thu, fri, sat or sun.' },
);
const ClockTime = Type.String({
  pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$',
  description: 'A local time HH:MM (00:00 to 24:00).',
});

/** When admin changes are expected: the admin-change rules alert only outside it. */
export const AdminWindow = Type.Object(
  {
    days: Type.Array(Weekday, { minItems: 1, maxItems: 7, uniqueItems: true }),
    from: ClockTime,
    to: ClockTime,
    timeZone: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'An IANA time zone such as Europe/Paris or UTC (daylight saving follows the zone).',
    }),
  },
  {
    ...strict,
    description:
      'Working hours for admin changes: admin-sensitive-change and admin-role-changed alert only on changes outside them (default: on every change).',
  },
);

export const Audit = Type.Object(
  {
    checkpointEvery: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1_000_000,
        description: 'Sign a checkpoint of the audit trail after this many events (default 1000).',
      }),
    ),
    checkpointIntervalSeconds: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 86_400,
        description: 'And at least this often while events arrive, in seconds (default 60).',
      }),
    ),
    retentionDays: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 36_500,
        description:
          'Prune events older than this many days, under a signed checkpoint that keeps the pruning provable (default: keep every event).',
      }),
    ),
    rules: Type.Optional(AuditRules),
    adminWindow: Type.Optional(AdminWindow),
    alerts: Type.Optional(Type.Object({ webhook: Type.Optional(AlertWebhook) }, strict)),
  },
  { ...strict, description: 'The audit service: where every security event of every component is kept.' },
);

/** The component logs `rampart up` writes under `.rampart/logs/`. */
export const Logs = Type.Object(
  {
    maxSizeMb: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10_240,
        description: 'Rotate a component log when it reaches this many MiB (default 10).',
      }),
    ),
    keep: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100,
        description: 'Rotated files kept per component, <name>.log.1 the newest (default 5).',
      }),
    ),
  },
  { ...strict, description: 'Rotation of the component logs in .rampart/logs/ (0600).' },
);

/** An HTTP header name (RFC 9110 token), as OTLP collectors' authentication headers are. */
const HeaderName = Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$" });

/**
 * Where every component sends its spans: an OTLP/HTTP collector (docs/telemetry.md). https only,
 * except to a collector on this machine's loopback.
 */
export const TraceExport = Type.Object(
  {
    endpoint: Type.String({
      // A scheme, a host, no userinfo (a password in a URL ends up in logs); `https` unless the
      // host is loopback, which the telemetry check decides (a pattern could not say why).
      pattern: '^https?://[^/?#@\\s]+(?:[/?#]\\S*)?$',
      maxLength: 2048,
      description:
        'The OTLP/HTTP traces URL, e.g. https://collector:4318/v1/traces (JSON encoding; https, or http to a loopback collector only; no user:password@).',
    }),
    headers: Type.Optional(
      Type.Record(
        HeaderName,
        Type.String({
          ...SecretRef,
          description:
            'A header sent with every export (e.g. authorization): always a reference, ${env:NAME} or ${file:path}, never the value itself.',
        }),
        {
          ...strict,
          maxProperties: 16,
          description: 'Headers the collector authenticates with; each value a secret reference.',
        },
      ),
    ),
    sampleRatio: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description:
          "The share of new traces recorded and exported, 0 to 1 (default 1, every trace); a hop inside follows the gateway's decision.",
      }),
    ),
  },
  {
    ...strict,
    description:
      "Export every component's spans over OTLP/HTTP in the background (bounded queue, never blocking a request).",
  },
);

/** OpenTelemetry export. Without it nothing is exported and the exporter is never loaded. */
export const Telemetry = Type.Object(
  { traces: Type.Optional(TraceExport) },
  { ...strict, description: 'OpenTelemetry export of what the components observe (traces).' },
);

const SCHEMA_ID = 'https://rampart.dev/schema/rampart.schema.json';
const SCHEMA_TITLE = 'rampart.yaml';

export const RampartConfigSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    version: Type.Literal(1),
    name: Name,
    trustDomain: Type.Optional(
      Type.String({
        pattern: '^[a-z0-9.-]+$',
        description: 'The SPIFFE trust domain: lower-case letters, digits, dots and dashes.',
      }),
    ),
    demo: Type.Optional(Type.Boolean({ description: 'Seed demo users and clients. Never in production.' })),
    ports: Type.Optional(Ports),
    mesh: Type.Optional(
      Type.Object(
        {
          certificateTtl: Type.Optional(
            Type.String({
              ...Duration,
              description: 'Lifetime of workload certificates, renewed at half-life: 5m to 24h (default 1h).',
            }),
          ),
          kubernetes: Type.Optional(
            Type.Object(
              {
                namespace: Type.String({
                  pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$',
                  description:
                    'The namespace Rampart runs in: only its ServiceAccounts may join (a service <name> as ServiceAccount <name>, gateway/identity/audit as rampart-<component>).',
                }),
                audience: Type.Optional(
                  Type.String({
                    pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,252}$',
                    description:
                      'The audience of the projected service-account token pods join with (default rampart-mesh, what rampart export k8s mounts).',
                  }),
                ),
              },
              {
                ...strict,
                description:
                  'The mesh runs in Kubernetes: pods join with a projected service-account token, verified with the TokenReview API, instead of a join token.',
              },
            ),
          ),
        },
        strict,
      ),
    ),
    storage: Type.Optional(Storage),
    identity: Type.Optional(Identity),
    gateway: Type.Optional(Gateway),
    audit: Type.Optional(Audit),
    logs: Type.Optional(Logs),
    telemetry: Type.Optional(Telemetry),
    // Records keyed by a pattern must close themselves: TypeBox leaves `additionalProperties` open,
    // which would let a badly named service (`Orders`) through without any check at all.
    policies: Type.Optional(Type.Record(Name, Policy, strict)),
    services: Type.Record(Name, Service, { ...strict, minProperties: 1 }),
    external: Type.Optional(
      Type.Record(Name, ExternalService, {
        ...strict,
        description:
          'HTTPS upstreams outside the mesh (not services): each with its url, pinned ca and routes. Names are shared with `services`.',
      }),
    ),
  },
  { ...strict, $id: SCHEMA_ID, title: SCHEMA_TITLE },
);

export type RampartConfig = Static<typeof RampartConfigSchema>;
export type ServiceConfig = Static<typeof Service>;
export type ExternalServiceConfig = Static<typeof ExternalService>;
export type AuditConfig = Static<typeof Audit>;
export type AlertWebhookConfig = Static<typeof AlertWebhook>;
export type TraceExportConfig = Static<typeof TraceExport>;
export type AdminWindowConfig = Static<typeof AdminWindow>;
export type RouteConfig = Static<typeof Route>;
export type PolicyConfig = Static<typeof Policy>;
export type RateLimitConfig = Static<typeof RateLimit>;
export type DefaultRateLimitConfig = Static<typeof DefaultRateLimit>;

/**
 * The JSON Schema document `rampart schema` prints and the loader validates against. It declares
 * draft-07, which every editor's YAML and JSON support understands; the keywords it uses mean the
 * same in draft 2020-12.
 */
export function jsonSchema(): TSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: SCHEMA_ID,
    title: SCHEMA_TITLE,
    ...RampartConfigSchema,
  };
}
