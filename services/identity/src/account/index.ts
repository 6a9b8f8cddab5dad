export { accountHandler } from './account-handler.ts';
export {
  endAllSessions,
  endSession,
  listSessions,
  type EndedSessions,
  type SessionSummary,
} from './sessions.ts';
export { RECENT_AUTH_SECONDS } from './account-session.ts';
