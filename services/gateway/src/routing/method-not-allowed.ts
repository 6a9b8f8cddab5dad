import { RampartError } from '@rampart/errors';

/**
 * `GW_METHOD_NOT_ALLOWED` (405) from the router: the path names a route, but not for this method.
 * `allowed` is what the `Allow` header must list (RFC 9110 §15.5.6).
 */
export class MethodNotAllowed extends RampartError {
  /** Methods some route serves at this path, in `ALLOWED_METHODS` order; `HEAD` whenever `GET`. */
  readonly allowed: readonly string[];

  constructor(allowed: readonly string[], detail: string) {
    super('GW_METHOD_NOT_ALLOWED', { detail });
    this.name = 'MethodNotAllowed';
    this.allowed = Object.freeze([...allowed]);
  }
}
