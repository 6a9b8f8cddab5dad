export {
  compileRequestValidators,
  validateRequest,
  DEFAULT_CONTENT_TYPES,
  DEFAULT_MAX_BODY_BYTES,
  type RequestInput,
  type ValidatedRequest,
} from './request-validator.ts';
export { BadRequest, type FieldLocation, type FieldProblem } from './bad-request.ts';
export { isJsonMediaType, mediaTypeOf } from './media-type.ts';
