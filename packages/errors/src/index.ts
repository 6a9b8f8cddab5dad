export { codes, type ErrorCode } from './codes.ts';
export { RampartError, isRampartError, type RampartErrorOptions } from './rampart-error.ts';
export { toProblem, PROBLEM_CONTENT_TYPE, type Problem } from './problem.ts';
