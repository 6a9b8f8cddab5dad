import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  isRampartError,
  PROBLEM_CONTENT_TYPE,
  RampartError,
  toProblem,
  type ErrorCode,
} from '@rampart/errors';

/** One failed check of a request against its route's schema, safe to show to the client. */
export interface FieldError {
  /** `body`, `params`, `querystring` or `headers`. */
  readonly in: string;
  /** JSON Pointer to the field inside that part, e.g. `/items/0/sku`; `` for the whole part. */
  readonly pointer: string;
  readonly message: string;
}

interface SchemaViolation {
  readonly instancePath: string;
  readonly message?: string | undefined;
  readonly params: Record<string, unknown>;
}

interface ClassifiedError {
  /** What the client may learn: a RampartError, or the original error (sent as a generic 500). */
  readonly error: unknown;
  readonly fields?: readonly FieldError[];
}

const STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  400: 'SDK_BAD_REQUEST',
  401: 'SDK_UNAUTHENTICATED',
  403: 'SDK_FORBIDDEN',
  404: 'SDK_NOT_FOUND',
  413: 'SDK_PAYLOAD_TOO_LARGE',
  415: 'SDK_UNSUPPORTED_MEDIA_TYPE',
};

/**
 * Maps anything a request can fail with to a registry error: a RampartError stays as it is, a
 * schema violation becomes `SDK_BAD_REQUEST` with the fields at fault, Fastify's own client
 * errors (bad JSON, too large, unsupported type) get their SDK code, everything else stays
 * unknown and becomes a generic 500.
 */
export function classifyError(error: unknown): ClassifiedError {
  if (isRampartError(error)) return { error };
  if (!(error instanceof Error)) return { error };
  const details = error as Error & {
    statusCode?: unknown;
    validation?: readonly SchemaViolation[];
    validationContext?: string;
  };
  const violations = details.validation;
  if (violations !== undefined) {
    const where = details.validationContext ?? 'body';
    return {
      error: new RampartError('SDK_BAD_REQUEST', { detail: error.message, cause: error }),
      fields: violations.map((violation) => fieldError(where, violation)),
    };
  }
  const status = details.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = STATUS_CODES[status] ?? 'SDK_BAD_REQUEST';
    return { error: new RampartError(code, { detail: error.message, cause: error }) };
  }
  return { error };
}

function fieldError(where: string, violation: SchemaViolation): FieldError {
  const missing = violation.params['missingProperty'] ?? violation.params['additionalProperty'];
  const pointer =
    typeof missing === 'string' ? `${violation.instancePath}/${missing}` : violation.instancePath;
  const message =
    typeof violation.params['additionalProperty'] === 'string'
      ? 'is not an allowed property'
      : (violation.message ?? 'is invalid');
  return { in: where, pointer, message };
}

/**
 * Sends an RFC 9457 problem for any error. Details and causes go to the log only; unknown errors
 * are logged in full and reach the client as a generic 500.
 *
 * @example
 * app.setErrorHandler((error, request, reply) => sendProblem(request, reply, error));
 */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  const classified = classifyError(error);
  const problem = toProblem(classified.error, request.id);
  if (problem.status >= 500) {
    request.log.error({ err: error }, 'request failed');
  } else {
    const detail = isRampartError(classified.error) ? classified.error.detail : undefined;
    request.log.info({ code: problem.code, detail }, 'request rejected');
  }
  if (problem.status === 401) {
    const invalid = problem.code === 'SDK_TOKEN_INVALID' ? ', error="invalid_token"' : '';
    void reply.header('www-authenticate', `Bearer realm="rampart"${invalid}`);
  }
  const body = classified.fields === undefined ? problem : { ...problem, errors: classified.fields };
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(body);
}
