import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import type { Provider } from 'oidc-provider';
import type { RampartConfig } from '@rampart/config';
import type { FieldCipher, Logger, SecurityEvents, Store } from '@rampart/sdk';
import { AccountStore, BruteForceGuard, migrateAccounts, Passkeys, TotpFactors } from './accounts/index.ts';
import { sendJson, type PathHandler } from './http/router.ts';
import { setSecurityHeaders } from './http/security-headers.ts';
import { sharedSecrets } from './keys/shared-secrets.ts';
import { SigningKeys } from './keys/signing-keys.ts';
import { storeAdapter, sweepExpired } from './oidc/adapter.ts';
import { PayloadSealing } from './oidc/payload-sealing.ts';
import { Revocations } from './oidc/revocations.ts';
import { builtinClients, clientMetadata } from './oidc/client-metadata.ts';
import { createProvider, type AccountView } from './oidc/provider.ts';
import { forwardProviderEvents } from './oidc/provider-events.ts';
import { STYLESHEET, STYLESHEET_PATH } from './pages/layout.ts';
import { setPagesMountPath } from './pages/provider-pages.ts';
import { identitySettings, type IdentitySettings } from './settings.ts';
import { identityMigrations } from './store/migrations.ts';

export interface IdentityOptions {
  readonly config: RampartConfig;
  /** The identity store (embedded or PostgreSQL); migrated here. */
  readonly store: Store;
  /** Seals TOTP secrets, signing keys and shared secrets (the identity keyring). */
  readonly cipher: FieldCipher;
  readonly log: Logger;
  readonly events: SecurityEvents;
  /** `client id → sha256:hex` of each confidential client's secret (from `rampart up`). */
  readonly clientSecretHashes: Readonly<Record<string, string>>;
  /** Shared brute-force counters across replicas; in memory without it. */
  readonly redis?: Redis;
  /** Parts of the issuer's space served before oidc-provider (interaction pages, admin API). */
  readonly handlers?: readonly ((identity: IdentityContext) => PathHandler)[];
  readonly now?: () => number;
}

/** What the handlers of the issuer's space share. */
export interface IdentityContext {
  readonly settings: IdentitySettings;
  readonly store: Store;
  readonly log: Logger;
  readonly events: SecurityEvents;
  readonly accounts: AccountStore;
  readonly totp: TotpFactors;
  readonly passkeys: Passkeys;
  readonly bruteForce: BruteForceGuard;
  readonly keys: SigningKeys;
  /** The feed of revoked grants and subjects the gateways poll. */
  readonly revocations: Revocations;
  /** How oidc-provider's rows are stored: bearer ids hashed, payloads sealed. */
  readonly sealing: PayloadSealing;
  /** The provider currently serving (replaced when the signing keys change). */
  provider(): Provider;
  /** Rebuilds the provider if the published key set changed (here or on another replica). */
  refreshKeys(): Promise<void>;
}

export interface Identity extends IdentityContext {
  /** Serves every request under the issuer's mount path. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

const KEY_POLL_MS = 30_000;
const SWEEP_MS = 10 * 60_000;
/** Skew added to a retired key's retention, so a token verified near its expiry still finds its key. */
const RETENTION_SKEW_MS = 5 * 60_000;

/**
 * Builds the identity service: migrations, signing keys, accounts, MFA, brute-force guard and
 * the oidc-provider instance, behind one request handler for the issuer's space (`/auth/…`).
 *
 * @example
 * const identity = await buildIdentity({ config, store, cipher, log, events, clientSecretHashes });
 * https.createServer(tls, (req, res) => identity.handle(req, res));
 */
export async function buildIdentity(options: IdentityOptions): Promise<Identity> {
  const { store, cipher, log, events } = options;
  const settings = identitySettings(options.config);
  setPagesMountPath(settings.mountPath);
  await store.migrate(identityMigrations);
  await migrateAccounts(store, cipher);

  const keys = new SigningKeys({
    store,
    cipher,
    retiredRetentionMs: settings.accessTokenTtlSeconds * 1000 + RETENTION_SKEW_MS,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  await keys.ensure();
  const cookieKeys = await sharedSecrets(store, cipher, 'cookie-keys', 2);
  const sealing = await PayloadSealing.open(store, cipher);
  const accounts = new AccountStore({ store, cipher });
  const origin = new URL(settings.issuer).origin;
  const totp = new TotpFactors({ store, cipher });
  const passkeys = new Passkeys({ store, rpId: new URL(origin).hostname, rpName: 'Rampart', origin });
  const bruteForce = new BruteForceGuard(options.redis === undefined ? {} : { redis: options.redis });

  const revocations = new Revocations(store, settings.accessTokenTtlSeconds, options.now);
  const Adapter = storeAdapter({
    store,
    sealing,
    onGrantRevoked: (grantId) => revocations.revokeGrant(grantId),
    refreshReuseGraceSeconds: settings.refreshReuseGraceSeconds,
    onReuse: ({ model, accountId }) => {
      events.emit({
        event: 'token.reuse_detected',
        outcome: 'failure',
        reason: model === 'RefreshToken' ? 'refresh_token_reused' : 'authorization_code_replayed',
        ...(accountId === undefined ? {} : { subject: accountId }),
      });
    },
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const clients = [
    ...settings.clients.map((client) => clientMetadata(client, options.clientSecretHashes[client.id])),
    ...builtinClients(settings.apiAudience),
  ];
  const scopes = [...new Set(settings.clients.flatMap((client) => client.scopes ?? []))];
  const findAccount = async (id: string): Promise<AccountView | undefined> => {
    const user = await accounts.findById(id);
    return user === undefined
      ? undefined
      : {
          id: user.id,
          username: user.username,
          displayName: user.displayName,
          email: user.email,
          groups: user.groups,
          disabled: user.disabled,
        };
  };

  async function buildProvider(): Promise<{
    provider: Provider;
    version: string;
    serve: ReturnType<Provider['callback']>;
  }> {
    const version = await keys.version();
    const provider = createProvider({
      settings,
      adapter: Adapter,
      clients,
      jwks: await keys.privateJwks(),
      cookieKeys,
      findAccount,
      scopes,
      revocations,
    });
    forwardProviderEvents(provider, events, log);
    return { provider, version, serve: provider.callback() };
  }

  let current = await buildProvider();
  async function refreshKeys(): Promise<void> {
    await keys.pruneRetired();
    if ((await keys.version()) !== current.version) {
      current = await buildProvider();
      log.info('identity: signing keys changed, provider rebuilt');
    }
  }
  const poll = setInterval(() => {
    refreshKeys().catch((error: unknown) => {
      log.error({ err: error }, 'identity: key refresh failed');
    });
  }, KEY_POLL_MS);
  const sweep = setInterval(() => {
    Promise.all([sweepExpired(store), revocations.prune()]).catch((error: unknown) => {
      log.error({ err: error }, 'identity: sweep failed');
    });
  }, SWEEP_MS);
  poll.unref();
  sweep.unref();

  const context: IdentityContext = {
    settings,
    store,
    log,
    events,
    accounts,
    totp,
    passkeys,
    bruteForce,
    keys,
    revocations,
    sealing,
    provider: () => current.provider,
    refreshKeys,
  };
  const handlers = (options.handlers ?? []).map((make) => make(context));
  const mount = settings.mountPath;

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setSecurityHeaders(res);
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    if (path !== mount && !path.startsWith(`${mount}/`)) {
      sendJson(res, 404, { error: 'not_found' });
      return;
    }
    const below = path.slice(mount.length) || '/';
    if (below === STYLESHEET_PATH && req.method === 'GET') {
      res.writeHead(200, {
        'content-type': 'text/css; charset=utf-8',
        'cache-control': 'public, max-age=3600',
      });
      res.end(STYLESHEET);
      return;
    }
    for (const handler of handlers) {
      if (await handler(req, res, below)) return;
    }
    // oidc-provider routes below the mount and, like Express mounting, learns the mount path
    // from `originalUrl` to build its absolute URLs.
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = url;
    req.url = below + (queryAt === -1 ? '' : url.slice(queryAt));
    await current.serve(req, res);
  }

  return {
    ...context,
    handle(req, res) {
      dispatch(req, res).catch((error: unknown) => {
        log.error({ err: error }, 'identity: request failed');
        if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
        else res.destroy();
      });
    },
    close() {
      clearInterval(poll);
      clearInterval(sweep);
      return Promise.resolve();
    },
  };
}
