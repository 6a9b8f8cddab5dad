export * from './request/index.ts';
export * from './auth/index.ts';
export * from './rate-limit/index.ts';
export * from './forward/index.ts';
