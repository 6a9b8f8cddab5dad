export { createLogger, type CreateLoggerOptions, type Logger } from './safe-logger.ts';
export { Masker, REDACTED, type MaskerOptions } from './masker.ts';
export { DEFAULT_MAX_STRING_LENGTH, maskText } from './mask-text.ts';
export { maskValue } from './mask-value.ts';
