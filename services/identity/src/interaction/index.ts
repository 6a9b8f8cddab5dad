export { interactionHandler } from './interaction-handler.ts';
export { authenticationMethods, type AuthenticationMethods } from './authentication-methods.ts';
