export {
  AUDIT_UPSTREAM,
  createUpstreams,
  IDENTITY_UPSTREAM,
  STREAM_IDLE_MS,
  type StreamedUpstreamResponse,
  type Upstream,
  type UpstreamRequest,
  type UpstreamResponse,
  type Upstreams,
  type UpstreamsOptions,
} from './upstreams.ts';
export { CircuitOpenError, type BreakerOptions } from './circuit-breaker.ts';
export { forwardedRequestHeaders, type ForwardContext, type UpstreamCredentials } from './forward-headers.ts';
export {
  ALLOWED_RESPONSE_HEADERS,
  IDENTITY_RESPONSE_HEADERS,
  identityResponseHeaders,
  isUpstreamErrorStatus,
  sanitizeResponseHeaders,
  securityHeaders,
} from './response-headers.ts';
export {
  createExternalUpstreams,
  type ExternalRequest,
  type ExternalTarget,
  type ExternalUpstreams,
  type ExternalUpstreamsOptions,
} from './external-upstreams.ts';
export { externalRequestHeaders } from './external-headers.ts';
export { externalTargets } from './external-targets.ts';
