export { buildRouteTable, type MatchedRoute, type RouteEntry, type RouteTable } from './route-table.ts';
export { MethodNotAllowed } from './method-not-allowed.ts';
export { parseRouteTemplate, type TemplateSegment } from './route-template.ts';
