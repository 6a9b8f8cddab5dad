import type { AccountErrorCode } from '../accounts/index.ts';

/**
 * Why a refused call was refused, as an `admin.denied` event reason (lower_snake words, no
 * digits): set only on authentication and authorization refusals.
 */
export type DenyReason =
  | 'missing_token'
  | 'malformed_token'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'wrong_token_type'
  | 'bad_signature'
  | 'unknown_key'
  | 'algorithm_not_allowed'
  | 'key_in_header'
  | 'unsupported_critical'
  | 'invalid_claims'
  | 'sender_constrained'
  | 'not_admin_client'
  | 'insufficient_scope'
  | 'mfa_required'
  | 'unknown_subject'
  | 'account_disabled'
  | 'not_admin';

export interface AdminErrorOptions {
  /** Set for authentication/authorization refusals: they are audited as `admin.denied`. */
  readonly deny?: DenyReason;
  /** The verified subject of the refused token, when it is known. */
  readonly subject?: string;
  /** RFC 6750 §3 challenge, for 401 and `insufficient_scope`. */
  readonly wwwAuthenticate?: string;
  /** For 405: the methods the path has. */
  readonly allow?: readonly string[];
}

/**
 * A refused admin API call. Everything in it is shown to the caller as
 * `{ "error": code, "error_description": description }`, so it never carries a stored value,
 * a secret or a stack: only codes and fixed sentences (and the name of a wrong field).
 *
 * @example
 * throw new AdminError(404, 'not_found', 'There is no such user.');
 */
export class AdminError extends Error {
  readonly status: number;
  readonly code: string;
  readonly description: string;
  readonly deny: DenyReason | undefined;
  readonly subject: string | undefined;
  readonly wwwAuthenticate: string | undefined;
  readonly allow: readonly string[] | undefined;

  constructor(status: number, code: string, description: string, options: AdminErrorOptions = {}) {
    super(description);
    this.name = 'AdminError';
    this.status = status;
    this.code = code;
    this.description = description;
    this.deny = options.deny;
    this.subject = options.subject;
    this.wwwAuthenticate = options.wwwAuthenticate;
    this.allow = options.allow;
  }
}

/** 400 `invalid_request`, naming the field at fault. */
export function invalidRequest(description: string): AdminError {
  return new AdminError(400, 'invalid_request', description);
}

/** 404 `not_found` for a resource that does not exist. */
export function notFound(what: string): AdminError {
  return new AdminError(404, 'not_found', `There is no such ${what}.`);
}

/** The HTTP status of each account refusal; its code is shown as the `error`. */
const ACCOUNT_STATUS: Record<AccountErrorCode, number> = {
  username_taken: 409,
  group_exists: 409,
  totp_exists: 409,
  invalid_username: 400,
  invalid_display_name: 400,
  invalid_email: 400,
  weak_password: 400,
  invalid_group: 400,
  invalid_role: 400,
  unknown_group: 400,
  unknown_user: 404,
  totp_not_enabled: 409,
};

/**
 * An `AccountError` as an admin API error: its code and message are safe to show (they never
 * carry a stored value). `unknown_group` is a 400 because it names a group in the request body.
 */
export function fromAccountError(code: AccountErrorCode, message: string): AdminError {
  return new AdminError(ACCOUNT_STATUS[code], code, message);
}
