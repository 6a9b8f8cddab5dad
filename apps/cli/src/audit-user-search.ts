import { existsSync, readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { dirname, join } from 'node:path';
import { Agent, request } from 'undici';
import type { SearchHit } from '@rampart/audit';
import { formatProblem, loadConfig, platformIssuer } from '@rampart/config';
import { fit, headerLine, initialWidths, jsonLine, rowLine } from './audit-table.ts';
import type { CommandIo } from './check-command.ts';
import { paint } from './terminal.ts';

/** What `rampart audit search --user` sends besides the username. */
export interface UserSearch {
  readonly file: string;
  readonly user: string;
  readonly reason: string | undefined;
  readonly ticket: string | undefined;
  /** The audit API's filters, by their query parameter (`clientId`, `from`…). */
  readonly filters: Readonly<Record<string, string>>;
  readonly limit: number | undefined;
  readonly cursor: string | undefined;
  readonly tokenFile: string | undefined;
  readonly json: boolean;
}

interface UserPage {
  readonly user: { readonly id: string; readonly username: string; readonly subject: string };
  readonly events: readonly (Record<string, unknown> & { seq: number; id: string })[];
  readonly next: string | null;
}

/**
 * `rampart audit search --user <username> --reason <why>`: a user's events, through the audit
 * service's admin API at the gateway (`GET /audit/v1/events?user=…`) with the admin token of
 * `rampart admin login` — never by reading identity's store and the pseudonym key here, which the
 * operator could: re-identifying someone must leave the same `audit.reidentified` record, under an
 * admin who signed in with MFA, whoever asks and from wherever.
 *
 * @returns the exit status: 0 found, 1 refused (token, limit, unknown user) or unreachable, 2 usage.
 */
export async function searchByUser(search: UserSearch, io: CommandIo): Promise<number> {
  const color = paint(io.color);
  const loaded = await loadConfig(search.file);
  if (!loaded.ok) {
    for (const problem of loaded.problems) io.stderr.write(`${formatProblem(problem)}\n`);
    return 2;
  }
  if (search.reason === undefined) {
    io.stderr.write(
      'rampart audit search: --user re-identifies a person: give --reason (incident_response, abuse_report, ' +
        'fraud_investigation, legal_request, data_subject_request, support_case); it is recorded in the audit trail\n',
    );
    return 2;
  }
  const home = join(dirname(loaded.file), '.rampart');
  const tokenFile = search.tokenFile ?? join(home, 'admin-token');
  if (!existsSync(tokenFile)) {
    io.stderr.write(
      color(
        'red',
        `✗ no admin token in ${tokenFile}: sign in first with \`rampart admin login\` (password and second factor)\n`,
      ),
    );
    return 1;
  }
  const token = readFileSync(tokenFile, 'utf8').trim();
  const caFile = join(home, 'ca.pem');
  const agent = new Agent({
    connect: {
      ca: existsSync(caFile) ? [...rootCertificates, readFileSync(caFile, 'utf8')] : [...rootCertificates],
    },
  });
  const params = new URLSearchParams({ user: search.user, reason: search.reason, ...search.filters });
  if (search.ticket !== undefined) params.set('ticket', search.ticket);
  if (search.limit !== undefined) params.set('limit', String(search.limit));
  if (search.cursor !== undefined) params.set('cursor', search.cursor);
  const url = `${new URL(platformIssuer(loaded.config)).origin}/audit/v1/events?${params.toString()}`;
  let status: number;
  let body: unknown;
  try {
    const response = await request(url, {
      dispatcher: agent,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(30_000),
    });
    status = response.statusCode;
    body = await response.body.json().catch(() => undefined);
  } catch (error) {
    io.stderr.write(
      color('red', `✗ the gateway did not answer at ${new URL(url).origin}: ${(error as Error).message}\n`),
    );
    return 1;
  } finally {
    await agent.close();
  }
  if (status !== 200) {
    io.stderr.write(color('red', `✗ ${refusal(status, body)}\n`));
    return status === 400 ? 2 : 1;
  }
  const page = body as UserPage;
  const hits: SearchHit[] = page.events.map(({ seq, ...event }) => ({
    seq,
    id: event.id,
    event: event as SearchHit['event'],
  }));
  const who = `${page.user.username} (user id ${page.user.id}, pseudonym ${page.user.subject})`;
  io.stderr.write(color('yellow', `events of ${who}; this lookup is recorded in the audit trail\n`));
  if (search.json) {
    for (const hit of hits) io.stdout.write(jsonLine(hit));
  } else if (hits.length === 0) {
    io.stdout.write('no events match\n');
  } else {
    const widths = fit(initialWidths(), hits);
    io.stdout.write(headerLine(widths, color));
    for (const hit of hits) io.stdout.write(rowLine(widths, hit, color));
  }
  if (page.next !== null) io.stderr.write(color('gray', `-- more: add --cursor ${page.next}\n`));
  return 0;
}

/** The audit API's refusal in words, with its code (`AUDIT_…`) and the field it names. */
function refusal(status: number, body: unknown): string {
  const problem = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const code = typeof problem['code'] === 'string' ? problem['code'] : `HTTP ${status}`;
  const field = typeof problem['field'] === 'string' ? ` (${problem['field']})` : '';
  const title = typeof problem['title'] === 'string' ? problem['title'] : 'refused';
  const hint =
    status === 401
      ? ': sign in again with `rampart admin login`'
      : status === 403
        ? ': the token is not an admin token with a second factor now'
        : status === 429
          ? ': wait before re-identifying anyone else'
          : '';
  return `the audit API refused the search: ${title}${field} [${code}]${hint}`;
}
