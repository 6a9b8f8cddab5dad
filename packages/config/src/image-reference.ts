/**
 * A container image reference as Docker and Kubernetes read it: `[registry[:port]/]path[:tag][@sha256:<64 hex>]`,
 * lower-case path components, a tag of at most 128 characters. The grammar of the distribution
 * project's `reference` package, restricted to sha256 digests (the only kind registries hand out).
 */
export const IMAGE_REFERENCE_PATTERN =
  '^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]{1,5})?/)?' +
  '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*' +
  '(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$';

const IMAGE_REFERENCE = new RegExp(IMAGE_REFERENCE_PATTERN, 'u');
const MAX_LENGTH = 255 + 1 + 128 + 72;

/** An image reference, understood: whether it names a tag and whether it is pinned by digest. */
export type ParsedImageReference =
  | { readonly ok: true; readonly tagged: boolean; readonly pinned: boolean }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads an image reference (`services.<name>.image`, `rampart export k8s --app-image`).
 *
 * @example
 * parseImageReference('ghcr.io/acme/reviews:1.4.2@sha256:' + 'a'.repeat(64)); // { ok: true, tagged: true, pinned: true }
 * parseImageReference('Reviews'); // { ok: false, reason: 'is not an image reference …' }
 */
export function parseImageReference(value: string): ParsedImageReference {
  if (value.length > MAX_LENGTH || !IMAGE_REFERENCE.test(value)) {
    return {
      ok: false,
      reason:
        'is not an image reference such as ghcr.io/acme/reviews:1.4.2 or ghcr.io/acme/reviews@sha256:<64 hex> ' +
        '(lower-case repository, optional registry, tag and digest)',
    };
  }
  const [name = '', digest] = value.split('@');
  const last = name.split('/').at(-1) ?? '';
  return { ok: true, tagged: last.includes(':'), pinned: digest !== undefined };
}
