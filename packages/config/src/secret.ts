import { inspect } from 'node:util';

const REDACTED = '[redacted]' as const;

/**
 * A secret value read from a reference. It prints as `[redacted]` everywhere — JSON, string
 * conversion, template literals, `util.inspect` and `console.log` — so it can travel through
 * config objects and logs safely; only `reveal()` returns the value.
 *
 * @example
 * const secret = await resolveSecret('${env:SHOP_CLI_SECRET}', configDir);
 * hmac.update(secret.reveal());
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret itself. Call it at the last moment, where the value is used. */
  reveal(): string {
    return this.#value;
  }

  toJSON(): typeof REDACTED {
    return REDACTED;
  }

  toString(): typeof REDACTED {
    return REDACTED;
  }

  [Symbol.toPrimitive](): typeof REDACTED {
    return REDACTED;
  }

  [inspect.custom](): typeof REDACTED {
    return REDACTED;
  }
}
