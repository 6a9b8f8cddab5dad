export { endRequestSpan, recordDenial, startRequestSpan, type RequestSpan } from './request-span.ts';
export { forwardInSpan, type UntracedUpstreamRequest } from './upstream-span.ts';
