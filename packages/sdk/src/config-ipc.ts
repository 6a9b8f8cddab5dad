import type { RampartConfig } from '@rampart/config';
import type { Logger } from './log/index.ts';

/** Sent by the supervisor when rampart.yaml changed and validated. */
export interface ConfigMessage {
  readonly type: 'config';
  readonly revision: number;
  readonly config: RampartConfig;
}

/** The service's answer to a {@link ConfigMessage}. */
export type ConfigReply =
  | { readonly type: 'config.applied'; readonly revision: number }
  | { readonly type: 'config.rejected'; readonly revision: number; readonly reason: string };

/** What a config message is applied to; `applyConfig` throws (or rejects) to refuse it. */
export interface ConfigTarget {
  applyConfig(revision: number, config: RampartConfig): void | Promise<void>;
}

/**
 * Whether a value has the shape of a {@link ConfigMessage}. The supervisor already validated the
 * configuration; this only guards the shape of what crosses the channel.
 *
 * @example
 * process.on('message', (message) => { if (isConfigMessage(message)) apply(message.revision, message.config); });
 */
export function isConfigMessage(value: unknown): value is ConfigMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Partial<Record<keyof ConfigMessage, unknown>>;
  return (
    message.type === 'config' &&
    typeof message.revision === 'number' &&
    Number.isSafeInteger(message.revision) &&
    message.revision >= 0 &&
    typeof message.config === 'object' &&
    message.config !== null
  );
}

/**
 * Creates the `process.on('message')` listener that applies configuration pushed by `rampart up`
 * and answers `config.applied` once `applyConfig` returned (or resolved), `config.rejected` with
 * a reason when it threw (or rejected). A malformed `config` message is logged and ignored; any
 * other message goes to `other`. `bootComponent` installs it for every component.
 *
 * @example
 * process.on('message', createConfigMessageHandler(service, (reply) => process.send?.(reply), log));
 */
export function createConfigMessageHandler(
  target: ConfigTarget,
  send: (reply: ConfigReply) => void,
  log: Logger,
  other?: (message: unknown) => void,
): (message: unknown) => void {
  const applied = (revision: number): void => {
    log.info({ revision }, 'configuration applied');
    send({ type: 'config.applied', revision });
  };
  const rejected = (revision: number, error: unknown): void => {
    const reason = configRefusalReason(error);
    log.warn({ revision, reason }, 'configuration rejected');
    send({ type: 'config.rejected', revision, reason });
  };
  // A synchronous target is answered before the listener returns; an asynchronous one once it settles.
  const apply = ({ revision, config }: ConfigMessage): void => {
    let result: void | Promise<void>;
    try {
      result = target.applyConfig(revision, config);
    } catch (error) {
      rejected(revision, error);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        () => {
          applied(revision);
        },
        (error: unknown) => {
          rejected(revision, error);
        },
      );
    } else {
      applied(revision);
    }
  };
  return (message) => {
    if (isConfigMessage(message)) {
      apply(message);
    } else if (
      typeof message === 'object' &&
      message !== null &&
      'type' in message &&
      message.type === 'config'
    ) {
      log.warn('ignored a malformed config message');
    } else {
      other?.(message);
    }
  };
}

const MAX_REASON_LENGTH = 300;

/**
 * The reason a component sends with `config.rejected`, which `rampart up` prints in its terminal:
 * the first line of the error's message, at most 300 characters. Components refuse a config for
 * what it says (a route, a policy, a setting), which the operator wrote and may read; a config
 * carries `${env:…}`/`${file:…}` references, never the secrets they resolve to.
 */
export function configRefusalReason(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  const line = (message.split('\n', 1)[0] ?? '').trim();
  if (line === '') return 'refused without a reason';
  return line.length > MAX_REASON_LENGTH ? `${line.slice(0, MAX_REASON_LENGTH - 1)}…` : line;
}
