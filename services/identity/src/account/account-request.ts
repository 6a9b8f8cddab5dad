import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IdentityContext } from '../app.ts';
import type { AccountSession } from './account-session.ts';

/** One request to the account pages, from a signed-in user. */
export interface AccountRequest {
  readonly identity: IdentityContext;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly account: AccountSession;
  /** The CSRF token for forms in this response (its cookie is set). */
  readonly csrf: string;
  readonly ip: string;
  /** `<mount>/account`. */
  readonly base: string;
}

/** Notices the overview shows after an action (`?done=<key>`): fixed texts, nothing reflected. */
export const NOTICES = {
  passkey_added: 'Your passkey was added.',
  passkey_removed: 'The passkey was removed.',
  totp_removed: 'Two-step verification with an authenticator app is off.',
  session_ended: 'That session was signed out.',
} as const;

export type NoticeKey = keyof typeof NOTICES;
