import { isFileLocation, type Location } from '../finding.ts';

/** `file:line:column`, `file:line`, `file` or the URL. */
export function locationText(location: Location): string {
  if (!isFileLocation(location)) return location.url;
  if (location.line === 0) return location.file;
  return location.column > 0
    ? `${location.file}:${location.line}:${location.column}`
    : `${location.file}:${location.line}`;
}
