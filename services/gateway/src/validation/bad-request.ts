import { RampartError } from '@rampart/errors';

/** Which part of the request a field lives in. */
export type FieldLocation = 'body' | 'query' | 'params';

/**
 * One field that does not match the route schema. Safe to send to the client: it names the field
 * (an RFC 6901 JSON Pointer into the body, query or path parameters) and the rule it breaks, and
 * never holds the value that was sent.
 */
export interface FieldProblem {
  readonly in: FieldLocation;
  /** `''` for the whole body, `/items/0/sku` inside it, `/id` for a parameter or query key. */
  readonly pointer: string;
  readonly message: string;
}

/** `GW_BAD_REQUEST` (400) from validation, with `fields` the pipeline may show the client. */
export class BadRequest extends RampartError {
  readonly fields: readonly FieldProblem[];

  constructor(fields: readonly FieldProblem[], detail: string) {
    super('GW_BAD_REQUEST', { detail });
    this.name = 'BadRequest';
    this.fields = Object.freeze(fields.map((f) => Object.freeze({ ...f })));
  }
}
