import { createHash } from 'node:crypto';
import { rewriteSpecifiers } from './module-specifiers.ts';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { consoleCsp, consoleHeaders } from './content-security-policy.ts';

/** Where the console is served on the gateway's origin. */
export const CONSOLE_PREFIX = '/console/';

/** One file of the console, ready to send. */
export interface ConsoleAsset {
  readonly body: Buffer;
  readonly contentType: string;
  /** A strong validator: the SHA-256 of the body. */
  readonly etag: string;
  readonly cacheControl: string;
}

/** What the console's page reads at start (`/console/config.json`). */
export interface ConsoleSettings {
  readonly issuer: string;
  readonly clientId: string;
  /** The admin API's audience (RFC 8707 resource), which the console asks its token for. */
  readonly resource: string;
  /** Identity's admin API. */
  readonly adminApi: string;
  /** The audit service's admin API, through the gateway. */
  readonly auditApi: string;
  readonly redirectUri: string;
  readonly postLogoutRedirectUri: string;
}

/** The whole console in memory: every path under `/console/` it answers, and its headers. */
export interface ConsoleSite {
  /** By path, `/console/…` as the canonical request spells it. */
  readonly assets: ReadonlyMap<string, ConsoleAsset>;
  /** The headers of every console answer (CSP, nosniff, no referrer). */
  readonly headers: Readonly<Record<string, string>>;
  readonly settings: ConsoleSettings;
}

export interface ConsoleSiteOptions {
  /** The gateway's public origin (`https://127.0.0.1:8443`). */
  readonly gatewayOrigin: string;
  /** Identity's issuer (`https://127.0.0.1:8443/auth`). */
  readonly issuer: string;
}

/** The console's built-in OAuth client (identity registers it: `consoleClient`). */
export const CONSOLE_CLIENT_ID = 'rampart-console';

/** The browser libraries the console imports by name, and the files of each that are served. */
const VENDOR: readonly { readonly name: string; readonly entry: string; readonly dirs: readonly string[] }[] =
  [
    // lit-html's production build: ES modules with relative imports only (its `directives/` too).
    { name: 'lit-html', entry: 'lit-html.js', dirs: ['', 'directives'] },
    // panva's OAuth 2.0 / OpenID Connect client: one ES module, no imports.
    { name: 'oauth4webapi', entry: 'build/index.js', dirs: ['build'] },
  ];

/** Content types by extension; nothing else is served. */
const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

/** Pages, modules, styles, settings: revalidated on every load (their URLs carry no version). */
const REVALIDATE = 'no-cache';
/** Vendor files: their URLs carry the package version, so a URL's content never changes. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

const SOURCE_DIR = join(import.meta.dirname, '..', 'src');

/**
 * Reads, type-strips (`node:module`'s `stripTypeScriptTypes`) and indexes the whole console once,
 * at gateway start: afterwards no request touches the disk, so no request can name a file to read.
 * The console's modules have their imports rewritten to the URLs they are served at (`main.ts` →
 * `/console/app/main.js`, `lit-html` → `/console/vendor/lit-html@<version>/lit-html.js`).
 *
 * @throws TypeError when a module imports something the console does not serve.
 * @example
 * const site = loadConsoleSite({ gatewayOrigin: 'https://127.0.0.1:8443', issuer: 'https://127.0.0.1:8443/auth' });
 * site.assets.get('/console/')?.contentType; // 'text/html; charset=utf-8'
 */
export function loadConsoleSite(options: ConsoleSiteOptions): ConsoleSite {
  const assets = new Map<string, ConsoleAsset>();
  const vendorUrls = new Map<string, string>();
  for (const vendor of VENDOR) {
    const root = packageRoot(vendor.name);
    const packageFile = join(root, 'package.json');
    const { version } = JSON.parse(readFileSync(packageFile, 'utf8')) as { version: string };
    const base = `${CONSOLE_PREFIX}vendor/${vendor.name}@${version}/`;
    vendorUrls.set(vendor.name, `${base}${vendor.entry}`);
    for (const dir of vendor.dirs) {
      for (const file of readdirSync(join(root, dir))) {
        if (!file.endsWith('.js')) continue;
        const path = dir === '' ? file : `${dir}/${file}`;
        assets.set(`${base}${path}`, asset(readFileSync(join(root, path)), '.js', IMMUTABLE));
      }
    }
  }
  const resolve = (from: string, specifier: string): string | undefined => {
    if (specifier.startsWith('./') || specifier.startsWith('../')) {
      if (!specifier.endsWith('.ts')) return undefined;
      return moduleUrl(relative(SOURCE_DIR, join(dirname(join(SOURCE_DIR, from)), specifier)));
    }
    return vendorUrls.get(specifier);
  };
  for (const file of sourceFiles(SOURCE_DIR)) {
    const text = readFileSync(join(SOURCE_DIR, file), 'utf8');
    if (file.endsWith('.ts')) {
      if (file.endsWith('.d.ts')) continue;
      const code = rewriteSpecifiersOf(stripTypeScriptTypes(text, { mode: 'strip' }), file, resolve);
      assets.set(moduleUrl(file), asset(Buffer.from(code), '.js', REVALIDATE));
    } else if (file.endsWith('.css')) {
      assets.set(`${CONSOLE_PREFIX}${file}`, asset(Buffer.from(text), '.css', REVALIDATE));
    } else if (file === 'index.html') {
      const page = asset(Buffer.from(text), '.html', REVALIDATE);
      // The page itself, and where identity sends the browser back after a sign-in.
      assets.set(CONSOLE_PREFIX, page);
      assets.set(`${CONSOLE_PREFIX}callback`, page);
    }
  }
  const settings = consoleSettings(options);
  assets.set(
    `${CONSOLE_PREFIX}config.json`,
    asset(Buffer.from(JSON.stringify(settings)), '.json', REVALIDATE),
  );
  return Object.freeze({
    assets,
    headers: consoleHeaders(consoleCsp(options.gatewayOrigin, options.issuer)),
    settings,
  });
}

/** What the page needs to sign in and to call the APIs, derived from the gateway's own settings. */
export function consoleSettings({ gatewayOrigin, issuer }: ConsoleSiteOptions): ConsoleSettings {
  return Object.freeze({
    issuer,
    clientId: CONSOLE_CLIENT_ID,
    resource: `${issuer}/admin`,
    adminApi: `${issuer}/admin`,
    auditApi: `${gatewayOrigin}/audit`,
    redirectUri: `${gatewayOrigin}${CONSOLE_PREFIX}callback`,
    postLogoutRedirectUri: `${gatewayOrigin}${CONSOLE_PREFIX}`,
  });
}

function rewriteSpecifiersOf(
  code: string,
  file: string,
  resolve: (from: string, specifier: string) => string | undefined,
): string {
  return rewriteSpecifiers(code, file, (specifier) => resolve(file, specifier));
}

/** `users/users-page.ts` → `/console/app/users/users-page.js`. */
function moduleUrl(file: string): string {
  return `${CONSOLE_PREFIX}app/${file.split(sep).join('/').replace(/\.ts$/u, '.js')}`;
}

function asset(body: Buffer, extension: string, cacheControl: string): ConsoleAsset {
  const contentType = TYPES[extension];
  if (contentType === undefined) throw new TypeError(`no content type for ${extension}`);
  const digest = createHash('sha256').update(body).digest('base64url').slice(0, 27);
  return Object.freeze({ body, contentType, etag: `"${digest}"`, cacheControl });
}

/** Every file under `dir`, relative to it, except tsconfig.json. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name !== 'tsconfig.json')
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/**
 * Where Node would find package `name` from the console (its `node_modules`, then each parent's),
 * without its `exports` (which name no `package.json` and choose Node's build over the browser's).
 */
function packageRoot(name: string): string {
  for (let dir = join(import.meta.dirname, '..'); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) throw new TypeError(`the console needs ${name}: run npm ci`);
  }
}
