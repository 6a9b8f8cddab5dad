import { type Agent, request } from 'undici';
import type { WorkloadCredentials } from '@rampart/mesh';
import { meshAgent, type Logger } from '@rampart/sdk';

/** What the feed needs to know of a verified access token. */
export interface RevocableToken {
  readonly subject: string;
  /** `client_id`: the client the token was issued to. */
  readonly clientId: string;
  /** `gid`: the grant (token family) the token belongs to, when issued for a user. */
  readonly grantId?: string;
  /** `iat`, epoch seconds. */
  readonly issuedAt: number;
}

export interface RevocationFeedOptions {
  /** `https://127.0.0.1:<identity>/internal/revocations`. */
  readonly url: string;
  /** `spiffe://<td>/rampart/identity`: the only server the feed is read from. */
  readonly identitySpiffeId: string;
  readonly credentials: () => WorkloadCredentials;
  readonly log: Logger;
  /** Poll period; default 500 ms, so a revocation reaches every gateway within about a second. */
  readonly intervalMs?: number;
  /** After this long without a successful poll the feed says it is stale (and logs it); default 30 s. */
  readonly staleAfterMs?: number;
  readonly now?: () => number;
}

export interface RevocationFeed {
  /** Whether the token is covered by a revocation the gateway has learnt. Synchronous: a map lookup. */
  isRevoked(token: RevocableToken): boolean;
  /** Whether the last successful poll is older than `staleAfterMs`. */
  stale(): boolean;
  /** One poll now (the timer calls it); resolves false when identity could not be read. */
  poll(): Promise<boolean>;
  /** New workload certificate: the next poll connects with it. */
  rotate(): void;
  stop(): Promise<void>;
}

interface Entry {
  readonly kind: 'grant' | 'subject' | 'client';
  readonly value: string;
  readonly issuedBefore: number;
  readonly expiresAt: number;
}

/** The largest page identity answers; a gateway far behind polls again at once. */
const PAGE = 1000;

/**
 * Follows identity's revocation feed over mTLS and answers, per request and without I/O, whether a
 * verified access token has been revoked since it was issued: its grant (a refresh-token reuse, a
 * code replay, a sign-out, an RFC 7009 revocation of the family), every token of its subject
 * (signed out everywhere, disabled, deleted) or every token issued to its client (disabled, deleted). Entries leave memory when the tokens they cover have
 * expired, so memory is bounded by what identity revoked in one access-token lifetime.
 *
 * If identity cannot be read, the last known state is kept and the feed turns stale after
 * `staleAfterMs` (logged at error level once, the alert): refusing every request while identity restarts would make
 * it a single point of failure for the whole API, and the tokens themselves live at most 15 minutes.
 *
 * @example
 * const feed = createRevocationFeed({ url, identitySpiffeId, credentials, log });
 * if (feed.isRevoked({ subject: claims.subject, grantId: claims.grantId, issuedAt: claims.issuedAt })) deny();
 */
export function createRevocationFeed(options: RevocationFeedOptions): RevocationFeed {
  const intervalMs = options.intervalMs ?? 500;
  const staleAfterMs = options.staleAfterMs ?? 30_000;
  const now = options.now ?? Date.now;
  const grants = new Map<string, Entry>();
  const subjects = new Map<string, Entry>();
  const clients = new Map<string, Entry>();
  const byKind: Readonly<Record<Entry['kind'], Map<string, Entry>>> = {
    grant: grants,
    subject: subjects,
    client: clients,
  };
  let after = 0;
  let lastSuccess = now();
  let warnedStale = false;
  let agent = makeAgent();
  let stopped = false;

  function makeAgent(): Agent {
    return meshAgent(options.credentials(), options.identitySpiffeId, {
      timeoutMs: 2_000,
      maxResponseBytes: 4 * 1024 * 1024,
    });
  }

  function remember(entry: Entry): void {
    // A kind this gateway does not know (a newer identity) is skipped, never taken for another.
    const map = Object.hasOwn(byKind, entry.kind) ? byKind[entry.kind] : undefined;
    if (map === undefined) return;
    const known = map.get(entry.value);
    if (known === undefined || known.issuedBefore < entry.issuedBefore) map.set(entry.value, entry);
  }

  function forgetExpired(): void {
    const seconds = Math.floor(now() / 1000);
    for (const map of [grants, subjects, clients]) {
      for (const [key, entry] of map) if (entry.expiresAt <= seconds) map.delete(key);
    }
  }

  async function poll(): Promise<boolean> {
    try {
      for (;;) {
        const response = await request(`${options.url}?after=${after}`, { dispatcher: agent, method: 'GET' });
        if (response.statusCode !== 200) {
          await response.body.dump();
          throw new Error(`identity answered ${response.statusCode}`);
        }
        const page = (await response.body.json()) as { entries: Entry[]; next: number };
        for (const entry of page.entries) remember(entry);
        after = page.next;
        if (page.entries.length < PAGE) break;
      }
      forgetExpired();
      lastSuccess = now();
      if (warnedStale) options.log.info('revocation feed: identity reachable again');
      warnedStale = false;
      return true;
    } catch (error) {
      if (!warnedStale && now() - lastSuccess > staleAfterMs) {
        warnedStale = true;
        options.log.error({ err: error }, 'revocation feed stale: revoked tokens may pass until it recovers');
      }
      return false;
    }
  }

  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      void poll().finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  schedule();

  return {
    isRevoked(token) {
      if (token.grantId !== undefined) {
        const grant = grants.get(token.grantId);
        if (grant !== undefined && token.issuedAt < grant.issuedBefore) return true;
      }
      const subject = subjects.get(token.subject);
      if (subject !== undefined && token.issuedAt < subject.issuedBefore) return true;
      const client = clients.get(token.clientId);
      return client !== undefined && token.issuedAt < client.issuedBefore;
    },
    stale: () => now() - lastSuccess > staleAfterMs,
    poll,
    rotate() {
      const previous = agent;
      agent = makeAgent();
      void previous.close();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await agent.close();
    },
  };
}
