export { adminApi, adminRoutes, ADMIN_PREFIX } from './admin-api.ts';
export { adminOpenApi, OPENAPI_PATH } from './openapi.ts';
export { AdminTokenVerifier, type AdminPrincipal } from './authenticate.ts';
