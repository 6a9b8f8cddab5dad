export { endRequestSpan, recordDenial, startRequestSpan, type RequestSpan } from './request-span.ts';
export { forwardInSpan, streamInSpan, type UntracedUpstreamRequest } from './upstream-span.ts';
