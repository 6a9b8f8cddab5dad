import { isFileLocation, type Location } from '../finding.ts';

/** `file:line:column`, `file:line`, `file`, or the URL with its method and route (`GET https://… (route GET /orders/{id})`). */
export function locationText(location: Location): string {
  if (!isFileLocation(location)) {
    const method = location.method === undefined ? '' : `${location.method} `;
    return `${method}${location.url}${location.route === undefined ? '' : ` (route ${location.route})`}`;
  }
  if (location.line === 0) return location.file;
  return location.column > 0
    ? `${location.file}:${location.line}:${location.column}`
    : `${location.file}:${location.line}`;
}
