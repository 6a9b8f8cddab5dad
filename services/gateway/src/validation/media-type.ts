const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/**
 * The media type of a Content-Type value, lower-cased, without parameters
 * (`Application/JSON; charset=utf-8` → `application/json`); `undefined` when it is not
 * `type/subtype` made of RFC 9110 tokens.
 */
export function mediaTypeOf(contentType: string): string | undefined {
  const semicolon = contentType.indexOf(';');
  const essence = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  const slash = essence.indexOf('/');
  if (slash === -1) return undefined;
  const type = essence.slice(0, slash);
  const subtype = essence.slice(slash + 1);
  return TOKEN.test(type) && TOKEN.test(subtype) ? essence : undefined;
}

/** `application/json` and any `+json` structured syntax suffix (RFC 6839): the body is parsed as JSON. */
export function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}
