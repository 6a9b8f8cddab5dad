export {
  parseSearchFilter,
  SearchFilterError,
  type NormalizedFilter,
  type SearchField,
  type SearchFilter,
} from './filter.ts';
export { eventMatches, type StoredEventJson } from './match.ts';
export {
  DEFAULT_SEARCH_LIMIT,
  lastSeq,
  MAX_SEARCH_LIMIT,
  searchable,
  searchEvents,
  type SearchHit,
  type SearchPage,
  type SearchResult,
} from './search.ts';
export { verifySearchColumns, type SearchColumnMismatch } from './verify-search-columns.ts';
export { hiddenEventDetail, verifyTrail, type TrailVerification } from './verify-trail.ts';
