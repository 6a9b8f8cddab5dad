import type { RateLimitConfig } from '@rampart/config';
import { RampartError } from '@rampart/errors';
import { securityHeaders } from '../forward/index.ts';
import type { CanonicalRequest } from '../request/index.ts';
import { MethodNotAllowed } from '../routing/index.ts';
import type { PipelineDeps } from './deps.ts';
import type { Exchange } from './exchange.ts';
import { EMPTY, sendUpstreamAnswer } from './reply.ts';
import { consumeLimit, firstValue, need } from './stage-kit.ts';

// The stages of the console mount (`/console`); their order is in stages.ts.

/** The first path segment of the console mount. */
const CONSOLE_MOUNT_SEGMENT = 'console';
/** The console is files: read them, nothing else. */
const CONSOLE_ALLOW = Object.freeze(['GET', 'HEAD']);
const CONSOLE_METHODS: ReadonlySet<string> = new Set(CONSOLE_ALLOW);

/**
 * 600 requests a minute per IP, a minute's block past it: a page load is about 40 requests the
 * first time and as many 304s after, so a person is never near it; a flood is.
 */
export const CONSOLE_RATE_LIMIT: RateLimitConfig = Object.freeze<RateLimitConfig>({
  points: 600,
  window: '1m',
  blockFor: '1m',
  by: ['ip'],
});

/** True for `/console` and `/console/…`, read on the canonical request (decoded segments). */
export function isConsoleMount(canonical: CanonicalRequest): boolean {
  return canonical.segments[0] === CONSOLE_MOUNT_SEGMENT;
}

/**
 * GET and HEAD only. From here on every answer to the request — the files, a 404, a 405, a 429 —
 * carries the console's CSP and headers (`exchange.mountHeaders`).
 */
export function consoleMount(exchange: Exchange, deps: PipelineDeps): void {
  const { method } = need(exchange.canonical);
  exchange.label = '/console';
  exchange.mountHeaders = deps.console.headers;
  if (!CONSOLE_METHODS.has(method)) throw new MethodNotAllowed(CONSOLE_ALLOW, `${method} on the console`);
}

/** Per IP, through the same limiter and penalty box as the routes. */
export function rateLimitConsole(exchange: Exchange, deps: PipelineDeps): Promise<void> {
  return consumeLimit(deps, { route: 'console /console', ip: exchange.clientIp }, CONSOLE_RATE_LIMIT);
}

/**
 * Answers from the console loaded in memory at start (`@rampart/console`'s `loadConsoleSite`):
 * the path is a key of that map or the answer is 404 — no request reads the disk, so no path can
 * name a file. `/console` is sent to `/console/`; a matching `If-None-Match` gets 304.
 */
export function serveConsole(exchange: Exchange, deps: PipelineDeps): void {
  const canonical = need(exchange.canonical);
  const headers: Record<string, string | string[] | number> = {
    ...securityHeaders(),
    ...deps.console.headers,
  };
  if (canonical.path === `/${CONSOLE_MOUNT_SEGMENT}`) {
    headers['location'] = `/${CONSOLE_MOUNT_SEGMENT}/`;
    headers['cache-control'] = 'no-cache';
    sendUpstreamAnswer(exchange, 301, headers, EMPTY);
    exchange.answered = true;
    return;
  }
  const asset = deps.console.assets.get(canonical.path);
  if (asset === undefined) throw new RampartError('GW_ROUTE_NOT_FOUND', { detail: 'no such console file' });
  headers['etag'] = asset.etag;
  headers['cache-control'] = asset.cacheControl;
  if (firstValue(canonical.headers['if-none-match']) === asset.etag) {
    sendUpstreamAnswer(exchange, 304, headers, EMPTY);
  } else {
    headers['content-type'] = asset.contentType;
    headers['content-length'] = asset.body.length;
    sendUpstreamAnswer(exchange, 200, headers, asset.body);
  }
  exchange.answered = true;
}
