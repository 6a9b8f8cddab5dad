/**
 * The one registry of Rampart error codes. Every code is documented in docs/errors.md
 * (a test keeps the two in step). Codes are grouped by component prefix:
 * CFG_ configuration, SUP_ supervisor (`rampart up`), SDK_ service SDK, MESH_ mesh authority,
 * GW_ gateway, SHOP_ the example.
 */
export const codes = {
  CFG_FILE_NOT_FOUND: { status: 500, title: 'Configuration file not found' },
  CFG_YAML_SYNTAX: { status: 500, title: 'Configuration is not valid YAML' },
  CFG_UNKNOWN_KEY: { status: 500, title: 'Unknown configuration key' },
  CFG_MISSING_KEY: { status: 500, title: 'Required configuration key missing' },
  CFG_INVALID_VALUE: { status: 500, title: 'Invalid configuration value' },
  CFG_INLINE_SECRET: { status: 500, title: 'Secret written inline' },
  CFG_SECRET_UNRESOLVED: { status: 500, title: 'Secret reference cannot be resolved' },
  CFG_ROUTE_NO_POLICY: { status: 500, title: 'Route has no policy' },
  CFG_UNKNOWN_POLICY: { status: 500, title: 'Route names an undefined policy' },
  CFG_UNDECLARED_CALLER: { status: 500, title: 'Caller is not a declared service' },
  CFG_DUPLICATE_ROUTE: { status: 500, title: 'Duplicate route' },
  CFG_AMBIGUOUS_ROUTE: { status: 500, title: 'Routes overlap ambiguously' },
  CFG_UNREACHABLE_ROUTE: { status: 500, title: 'Route is unreachable' },
  CFG_PORT_CONFLICT: { status: 500, title: 'Port used twice' },
  CFG_UNKNOWN_SENSITIVE_FIELD: { status: 500, title: 'Sensitive field is not in any route schema' },
  SUP_ALREADY_RUNNING: { status: 500, title: 'Another rampart up is running for this config' },
  SUP_COMPONENT_NOT_READY: { status: 500, title: 'Component did not become ready' },
  SUP_UNPRIVILEGED_USER_UNUSABLE: { status: 500, title: 'Unprivileged user cannot read the installation' },
  SDK_UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  SDK_TOKEN_INVALID: { status: 401, title: 'Internal token invalid' },
  SDK_FORBIDDEN: { status: 403, title: 'Forbidden' },
  SDK_NOT_FOUND: { status: 404, title: 'Not found' },
  SDK_BAD_REQUEST: { status: 400, title: 'Bad request' },
  SDK_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  SDK_INTERNAL: { status: 500, title: 'Internal error' },
  SDK_CALLER_NOT_ALLOWED: { status: 403, title: 'Caller not allowed' },
  SDK_PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  SDK_DECRYPT_FAILED: { status: 500, title: 'Encrypted field cannot be decrypted' },
  SDK_STORE_UNAVAILABLE: { status: 500, title: 'Store unavailable' },
  SDK_STORE_QUERY_FAILED: { status: 500, title: 'Store statement failed' },
  SDK_STORE_ROLE_MISMATCH: { status: 500, title: 'Store role is not the service role' },
  MESH_BAD_REQUEST: { status: 400, title: 'Malformed mesh request' },
  MESH_CSR_INVALID: { status: 400, title: 'Certificate signing request invalid' },
  MESH_JOIN_TOKEN_INVALID: { status: 401, title: 'Join token invalid' },
  MESH_PEER_UNAUTHENTICATED: { status: 401, title: 'Workload certificate required' },
  MESH_NOT_FOUND: { status: 404, title: 'No such mesh endpoint' },
  MESH_PAYLOAD_TOO_LARGE: { status: 413, title: 'Mesh request body too large' },
  // Gateway: the canonical request (services/gateway/src/request/)
  GW_BAD_PATH: { status: 400, title: 'Request path rejected' },
  GW_BAD_HEADER: { status: 400, title: 'Request header rejected' },
  GW_URI_TOO_LONG: { status: 414, title: 'Request URI too long' },
  GW_HEADERS_TOO_LARGE: { status: 431, title: 'Request headers too large' },
  GW_METHOD_NOT_ALLOWED: { status: 405, title: 'Request method not allowed' },
  // Gateway: access tokens (services/gateway/src/auth/)
  GW_TOKEN_MISSING: { status: 401, title: 'Access token required' },
  GW_TOKEN_INVALID: { status: 401, title: 'Access token invalid' },
  GW_TOKEN_EXPIRED: { status: 401, title: 'Access token expired' },
  GW_KEYS_UNAVAILABLE: { status: 503, title: 'Token keys unavailable' },
  // Gateway: rate limiting (services/gateway/src/rate-limit/)
  GW_RATE_LIMITED: { status: 429, title: 'Too many requests' },
  // Gateway: routing, validation and authorization (services/gateway/src/routing, authorization)
  GW_ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  GW_BAD_REQUEST: { status: 400, title: 'Request does not match the route schema' },
  GW_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Media type not accepted by the route' },
  GW_PAYLOAD_TOO_LARGE: { status: 413, title: 'Request body too large' },
  GW_FORBIDDEN: { status: 403, title: 'Not allowed by the route policy' },
  GW_MFA_REQUIRED: { status: 403, title: 'Multi-factor authentication required' },
  // Gateway: forwarding (services/gateway/src/forward)
  GW_UPSTREAM_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
  GW_UPSTREAM_TIMEOUT: { status: 504, title: 'Service timed out' },
  SHOP_UNKNOWN_SKU: { status: 400, title: 'Unknown product' },
  SHOP_ORDER_NOT_PENDING: { status: 409, title: 'Order is not pending' },
  SHOP_PAYMENT_FAILED: { status: 502, title: 'Payment service failed' },
  SHOP_CARD_REJECTED: { status: 400, title: 'Card number rejected' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof codes;
