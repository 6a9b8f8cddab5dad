import type { FastifyInstance } from 'fastify';
import { serviceNameOf } from '@rampart/mesh';
import type { MeshContext } from '../context.ts';
import { recordMeshEvent } from '../http/mesh-events.ts';
import { sendOAuthError, type OAuthErrorCode } from '../http/oauth-error.ts';
import { peerLabel, peerOf } from '../http/peer.ts';
import { exchange, type ExchangeRequest } from './exchange.ts';

const FORM = 'application/x-www-form-urlencoded';
const PARAMETERS = ['grant_type', 'subject_token', 'subject_token_type', 'audience'] as const;

/**
 * `POST /v1/token` (RFC 8693 token exchange) over mTLS. The client is the declared service whose
 * SPIFFE ID its certificate carries; errors are RFC 6749 JSON.
 */
export function registerTokenRoutes(app: FastifyInstance, context: MeshContext): void {
  app.addContentTypeParser(FORM, { parseAs: 'string' }, (_request, body, done) => {
    done(null, new URLSearchParams(body as string));
  });

  app.post('/v1/token', async (request, reply) => {
    const peer = peerOf(request);
    const refuse = (error: OAuthErrorCode, reason: string, audience?: string) => {
      context.log.warn(
        { reason, error, peer: peerLabel(request, peer), ...(audience === undefined ? {} : { audience }) },
        'token exchange refused',
      );
      recordMeshEvent(context, request, {
        event: 'token.exchange_refused',
        outcome: 'failure',
        reason: error,
        peer: peer.verified ? peer.spiffeId : null,
      });
      return sendOAuthError(reply, error);
    };
    if (!peer.verified) return refuse('invalid_client', peer.reason);
    const caller = serviceNameOf(peer.spiffeId, context.trustDomain);
    if (caller === null)
      return refuse('unauthorized_client', 'the client is not a service of this trust domain');

    const form = request.body;
    if (!(form instanceof URLSearchParams)) return refuse('invalid_request', `the body must be ${FORM}`);
    for (const name of PARAMETERS) {
      if (form.getAll(name).length > 1) return refuse('invalid_request', `${name} repeated`);
    }
    const parameters: ExchangeRequest = {
      grantType: form.get('grant_type') ?? undefined,
      subjectToken: form.get('subject_token') ?? undefined,
      subjectTokenType: form.get('subject_token_type') ?? undefined,
      audience: form.get('audience') ?? undefined,
    };
    const result = await exchange(parameters, caller, context.config(), context, context.now());
    if (!result.ok) return refuse(result.error, result.reason, parameters.audience);
    context.log.info({ caller, audience: result.audience, expiresIn: result.expiresIn }, 'token exchanged');
    recordMeshEvent(context, request, {
      event: 'token.exchanged',
      outcome: 'success',
      reason: 'token_exchanged',
      peer: peer.spiffeId,
    });
    return reply.header('cache-control', 'no-store').send({
      access_token: result.token,
      issued_token_type: 'urn:rampart:token-type:internal',
      token_type: 'Bearer',
      expires_in: result.expiresIn,
    });
  });
}
