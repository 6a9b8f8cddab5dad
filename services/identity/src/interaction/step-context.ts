import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Provider } from 'oidc-provider';
import type { IdentityContext } from '../app.ts';
import type { Interaction } from './progress.ts';

/** Everything a step of the sign-in needs for one request. */
export interface StepContext {
  readonly identity: IdentityContext;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The provider serving this request (read once: the instance is replaced on key rotation). */
  readonly provider: Provider;
  readonly interaction: Interaction;
  readonly uid: string;
  /** The CSRF token for forms rendered in this response (its cookie is already set). */
  readonly csrf: string;
  /** The client address for brute-force counters (see `pages/client-ip.ts`). */
  readonly ip: string;
  /** `<mount>/interaction/<uid>`: the step page; actions are below it. */
  readonly base: string;
}

/** The client id of the authorization request behind the interaction. */
export function clientIdOf(ctx: StepContext): string {
  const id = ctx.interaction.params['client_id'];
  return typeof id === 'string' ? id : '';
}
