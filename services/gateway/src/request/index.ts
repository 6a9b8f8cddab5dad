export {
  ALLOWED_METHODS,
  canonicalRequest,
  type CanonicalRequest,
  type Method,
  type RawRequest,
  type RequestLimits,
} from './canonical-request.ts';
export {
  canonicalPath,
  encodeSegment,
  DEFAULT_PATH_LIMITS,
  type CanonicalPath,
  type PathLimits,
} from './canonicalize-path.ts';
export { checkHeaders, DEFAULT_HEADER_LIMITS, type HeaderLimits } from './check-headers.ts';
export {
  stripIdentityHeaders,
  type IncomingHeaders,
  type StrippedHeaders,
} from './strip-identity-headers.ts';
export { http2RequestFields, type Http2RequestFields } from './http2-request.ts';
export { checkHttp1Version } from './http-version.ts';
export { ClientGoneError, isClientGone } from './client-gone.ts';
