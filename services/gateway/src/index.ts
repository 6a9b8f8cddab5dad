export * from './request/index.ts';
export * from './auth/index.ts';
