// The one upstream of bench/gateway-compare.ts, run by `rampart up` as the service `bench`: a
// service on @rampart/sdk (mTLS only, callers by SPIFFE ID, internal token required, access log)
// whose handler does no I/O, so what the benchmark compares is the proxies in front of it, not a
// database. One handler serves two paths:
//   GET /users/{userId}/items         scope items:read — behind the gateway's full-pipeline route
//                                     and HAProxy's JWT check;
//   GET /public/users/{userId}/items  any internal token — behind the gateway's public route and nginx.
// The answer (~200 bytes of JSON, serialized through a response schema) is the same on both.
import { runService, type Service } from '@rampart/sdk';

const item = {
  type: 'object',
  properties: { sku: { type: 'string' }, quantity: { type: 'integer' } },
} as const;
const answer = {
  type: 'object',
  properties: { userId: { type: 'string' }, items: { type: 'array', items: item } },
} as const;
const ITEMS = [
  { sku: 'TEA-GREEN', quantity: 2 },
  { sku: 'MUG-1', quantity: 1 },
  { sku: 'KETTLE-2', quantity: 1 },
];

function setup(svc: Service): Promise<void> {
  for (const [url, scopes] of [
    ['/users/{userId}/items', ['items:read']],
    ['/public/users/{userId}/items', []],
  ] as const) {
    svc.route<{ Params: { userId: string } }>({
      method: 'GET',
      url,
      scopes,
      schema: { response: { 200: answer } },
      handler: (request) => ({ userId: request.params.userId, items: ITEMS }),
    });
  }
  return Promise.resolve();
}

await runService(setup);
