export { AUDIT_API_PREFIX, registerAdminApi, type AdminApiOptions } from './admin-api.ts';
export {
  AdminDenial,
  createAdminAuthenticator,
  type AdminAuthenticator,
  type AdminCaller,
} from './admin-auth.ts';
export { createEventFeed, type EventFeed } from './event-feed.ts';
export { DEFAULT_EVENTS_LIMIT, MAX_EVENTS_LIMIT } from './event-operations.ts';
export { MAX_EXPORT_EVENTS, otlpLogs, type OtlpLogsRequest } from './export-formats.ts';
export { createOwnEvents, type OwnEvents } from './own-events.ts';
export { topologyOf, type Topology } from './topology.ts';
export {
  createReidentifier,
  JUSTIFICATIONS,
  REIDENTIFY_LIMIT,
  TICKET,
  type Justification,
  type Reidentifier,
} from './reidentify.ts';
export {
  createSubjectResolver,
  type ResolvedUser,
  type SubjectQuery,
  type SubjectResolution,
  type SubjectResolver,
} from './subject-resolver.ts';
