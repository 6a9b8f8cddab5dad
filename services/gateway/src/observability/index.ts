export { endRequestSpan, recordDenial, startRequestSpan, type RequestSpan } from './request-span.ts';
export {
  forwardExternalInSpan,
  forwardInSpan,
  streamInSpan,
  type UntracedUpstreamRequest,
} from './upstream-span.ts';
