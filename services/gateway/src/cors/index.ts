export {
  addCorsHeaders,
  compileCorsPolicy,
  type CorsConfig,
  type CorsOutcome,
  type CorsPolicy,
} from './cors-policy.ts';
