import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import * as oidc from 'openid-client';
import { rootCertificates } from 'node:tls';
import { Agent, setGlobalDispatcher } from 'undici';
import { formatProblem, loadConfig, platformIssuer } from '@rampart/config';
import type { CommandIo } from './check-command.ts';
import { paint } from './terminal.ts';

/** The built-in client `rampart admin login` signs in with (identity registers it: `adminCliClient`). */
const CLIENT_ID = 'rampart-cli';
const DEFAULT_TIMEOUT_S = 300;

const usage = `Usage: rampart admin login [file] [--out <path> | --print] [--timeout <seconds>]

Sign in as an admin — password and second factor, in a browser — and get a token for identity's
admin API (<issuer>/admin: users, sessions, authenticators, clients, keys). It runs the OAuth 2.0
authorization-code flow with PKCE of a native app (RFC 8252): it prints an address to open,
and listens on 127.0.0.1 for the browser to come back. The token lasts as long as any access token
(identity.tokens.accessTokenTtl, 10 minutes by default); sign in again when it has expired.

Options:
  --out <path>     write the token there, readable by you alone (default: .rampart/admin-token
                   beside the config)
  --print          print the token on stdout instead (everything else goes to stderr)
  --timeout <s>    how long to wait for the browser (default ${DEFAULT_TIMEOUT_S})
  -h, --help       show this help

Exit status: 0 signed in, 1 sign-in failed or timed out, 2 usage or configuration error.
`;

interface LoginOptions {
  readonly file: string;
  readonly out: string | undefined;
  readonly print: boolean;
  readonly timeoutMs: number;
}

/**
 * `rampart admin login [file] [--out <path> | --print] [--timeout <seconds>]`.
 *
 * @example
 * process.exitCode = await adminLoginCommand(['examples/shop/rampart.yaml'], io);
 */
export async function adminLoginCommand(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseOptions(argv, io);
  if (typeof parsed === 'number') return parsed;
  const loaded = await loadConfig(parsed.file);
  if (!loaded.ok) {
    for (const problem of loaded.problems) io.stderr.write(`${formatProblem(problem)}\n`);
    return 2;
  }
  const color = paint(io.color);
  const issuer = platformIssuer(loaded.config);
  const caFile = join(dirname(loaded.file), '.rampart', 'ca.pem');
  // The platform's own trust anchor beside the public ones (identity.issuer may be elsewhere), for
  // every request of this process: openid-client uses the global fetch.
  const anchors = existsSync(caFile)
    ? [...rootCertificates, readFileSync(caFile, 'utf8')]
    : [...rootCertificates];
  const agent = new Agent({ connect: { ca: anchors } });
  setGlobalDispatcher(agent);
  const listener = await listenForCallback();
  try {
    const config = await oidc.discovery(new URL(issuer), CLIENT_ID, undefined, oidc.None());
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const redirectUri = `http://127.0.0.1:${listener.port}/callback`;
    const signIn = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile admin',
      resource: `${issuer}/admin`,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    io.stderr.write(
      `Open this address in a browser and sign in as an admin (password and second factor):\n\n  ${color('cyan', signIn.href)}\n\n` +
        `Waiting for the browser to come back to ${redirectUri} (${Math.round(parsed.timeoutMs / 1000)} s)…\n`,
    );
    const tokens = await listener.nextSignIn(parsed.timeoutMs, state, (callback) =>
      oidc.authorizationCodeGrant(
        config,
        callback,
        { pkceCodeVerifier: verifier, expectedState: state },
        { resource: `${issuer}/admin` },
      ),
    );
    const expires = new Date(Date.now() + (tokens.expiresIn() ?? 0) * 1000).toISOString().slice(11, 19);
    const claims = tokens.claims();
    const username = claims?.['preferred_username'];
    const who = typeof username === 'string' ? username : (claims?.sub ?? 'an admin');
    // The admin API decides who is an admin, at every call: ask it once now, so a person who is
    // not one learns it here rather than from a token that opens nothing.
    const refusal = await adminApiRefusal(`${issuer}/admin/users?limit=1`, tokens.access_token);
    if (refusal !== undefined) {
      io.stderr.write(
        `rampart admin login: signed in as ${who}, but the admin API refuses the token: ${refusal}\n`,
      );
      return 1;
    }
    if (parsed.print) {
      io.stdout.write(`${tokens.access_token}\n`);
      io.stderr.write(`Signed in as ${who}; the token is valid until ${expires}Z.\n`);
      return 0;
    }
    const out = parsed.out ?? join(dirname(loaded.file), '.rampart', 'admin-token');
    writePrivately(out, `${tokens.access_token}\n`);
    const shown = relative(process.cwd(), out) || out;
    io.stderr.write(
      `${color('green', '✓')} Signed in as ${who}. Admin token in ${shown} (yours alone), valid until ${expires}Z.\n\n` +
        `  curl --cacert ${relative(process.cwd(), caFile) || caFile} -H "Authorization: Bearer $(cat ${shown})" ${issuer}/admin/users\n`,
    );
    return 0;
  } catch (error) {
    io.stderr.write(`rampart admin login: ${describe(error)}\n`);
    return 1;
  } finally {
    await listener.close();
    await agent.close();
  }
}

/** Undefined when the admin API accepts `token`; otherwise its `error_description` (or status). */
async function adminApiRefusal(url: string, token: string): Promise<string | undefined> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (res.ok) {
    await res.body?.cancel();
    return undefined;
  }
  const body: unknown = await res.json().catch(() => undefined);
  const description =
    typeof body === 'object' && body !== null && 'error_description' in body
      ? body.error_description
      : undefined;
  return typeof description === 'string' ? description : `HTTP ${res.status}`;
}

function parseOptions(argv: string[], io: CommandIo): LoginOptions | number {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        print: { type: 'boolean' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
    if (values.help === true) {
      io.stdout.write(usage);
      return 0;
    }
    if (positionals.length > 1) throw new TypeError(`expected at most one file, got ${positionals.length}`);
    if (values.print === true && values.out !== undefined)
      throw new TypeError('--out and --print exclude each other');
    const timeout = Number(values.timeout ?? DEFAULT_TIMEOUT_S);
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > 3600)
      throw new TypeError('--timeout is a whole number of seconds, 1 to 3600');
    return {
      file: positionals[0] ?? 'rampart.yaml',
      out: values.out,
      print: values.print === true,
      timeoutMs: timeout * 1000,
    };
  } catch (error) {
    io.stderr.write(`rampart admin login: ${describe(error)}\n\n${usage}`);
    return 2;
  }
}

interface CallbackListener {
  readonly port: number;
  /**
   * Waits for the browser's return to `/callback` carrying `state`, and hands its URL to
   * `exchange`. A return with any other `state` (someone else's code, a stale tab) is answered 400
   * and the wait goes on until `timeoutMs`; the first with ours ends it, signed in or refused.
   */
  nextSignIn<T>(timeoutMs: number, state: string, exchange: (callback: URL) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The loopback redirect target of RFC 8252 §7.3: 127.0.0.1, a port the system picks, GET /callback only. */
async function listenForCallback(): Promise<CallbackListener> {
  let onCallback: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || !(req.url ?? '').startsWith('/callback?') || onCallback === undefined) {
      answer(res, 404, 'Not found', 'This address only takes the sign-in of rampart admin login.');
      return;
    }
    onCallback(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    nextSignIn(timeoutMs, state, exchange) {
      return new Promise((resolve, reject) => {
        const finish = (): void => {
          clearTimeout(timer);
          onCallback = undefined;
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`no sign-in within ${Math.round(timeoutMs / 1000)} s; run the command again`));
        }, timeoutMs);
        onCallback = (req, res) => {
          const callback = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
          if (callback.searchParams.get('state') !== state) {
            answer(
              res,
              400,
              'Not this sign-in',
              'This is not the sign-in rampart admin login is waiting for.',
            );
            return;
          }
          finish();
          exchange(callback).then(
            (result) => {
              answer(res, 200, 'Signed in', 'You can close this tab and go back to the terminal.');
              resolve(result);
            },
            (error: unknown) => {
              answer(res, 400, 'Sign-in failed', describe(error));
              reject(error instanceof Error ? error : new Error(describe(error)));
            },
          );
        };
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** A small page for the browser; `text` is escaped. */
function answer(res: ServerResponse, status: number, title: string, text: string): void {
  const escape = (value: string): string => value.replace(/[&<>"']/gu, (c) => `&#${c.charCodeAt(0)};`);
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': "default-src 'none'",
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
  });
  res.end(
    `<!doctype html><html lang="en"><meta charset="utf-8"><title>${escape(title)} — Rampart</title>` +
      `<h1>${escape(title)}</h1><p>${escape(text)}</p></html>`,
  );
}

/** Writes `text` to `path` readable and writable by the owner alone, replacing what was there at once. */
function writePrivately(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text, { mode: 0o600, flag: 'wx' });
    renameSync(temporary, path);
  } catch (error) {
    throw new Error(`cannot write the token to ${path}: choose another file with --out, or --print it`, {
      cause: error,
    });
  }
}

function describe(error: unknown): string {
  if (error instanceof oidc.AuthorizationResponseError || error instanceof oidc.ResponseBodyError)
    return `${error.error}${error.error_description === undefined ? '' : `: ${error.error_description}`}`;
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
