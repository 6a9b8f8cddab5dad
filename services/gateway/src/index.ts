export * from './request/index.ts';
export * from './auth/index.ts';
export * from './rate-limit/index.ts';
export * from './forward/index.ts';
export * from './routing/index.ts';
export * from './validation/index.ts';
export * from './authorization/index.ts';
export { buildGateway, type Gateway, type GatewayOptions } from './app.ts';
export { gatewaySettings, type GatewaySettings } from './settings.ts';
