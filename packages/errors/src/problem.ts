import { isRampartError } from './rampart-error.ts';

/** RFC 9457 problem details, as Rampart sends them to clients. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly requestId: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * Turns any thrown value into the problem a client may see. Anything not exposed becomes a
 * generic 500, so stack traces, details and causes never reach a client.
 *
 * @example
 * reply.code(p.status).type(PROBLEM_CONTENT_TYPE).send(toProblem(err, request.id));
 */
export function toProblem(error: unknown, requestId: string): Problem {
  if (isRampartError(error) && error.expose) {
    return {
      type: `https://rampart.dev/errors#${error.code}`,
      title: error.title,
      status: error.status,
      code: error.code,
      requestId,
    };
  }
  return {
    type: 'https://rampart.dev/errors#SDK_INTERNAL',
    title: 'Internal error',
    status: 500,
    code: 'SDK_INTERNAL',
    requestId,
  };
}
