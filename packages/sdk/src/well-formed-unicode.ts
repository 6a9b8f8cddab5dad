/** A value waiting to be checked, with the way back to the root for its pointer. */
interface Pending {
  readonly node: unknown;
  readonly parent: Pending | undefined;
  /** Its member name or array index in `parent`. */
  readonly key: string | number;
}

/**
 * The JSON Pointer (RFC 6901) of the first string in a parsed JSON value — a member name or a
 * value, at any depth — that is not well-formed Unicode, or `undefined` when every one is.
 *
 * JSON's `\ud800` escape yields a lone surrogate: valid JSON, but no character. Such a string
 * cannot be encoded as UTF-8 (the field cipher refuses it, a database may mangle it, a log line
 * may carry it to a reader that breaks), so the gateway and the SDK refuse it at the door, naming
 * the field. Iterative, so a deeply nested body cannot exhaust the stack; the pointer is built only
 * for the string that fails (every request body passes through here).
 *
 * @example
 * illFormedStringPointer(JSON.parse('{"name":"\\ud800"}')); // '/name'
 */
export function illFormedStringPointer(value: unknown): string | undefined {
  const pending: Pending[] = [{ node: value, parent: undefined, key: '' }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { node } = next;
    if (typeof node === 'string') {
      if (!node.isWellFormed()) return pointerOf(next);
    } else if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) pending.push({ node: node[i], parent: next, key: i });
    } else if (typeof node === 'object' && node !== null) {
      const keys = Object.keys(node);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] ?? '';
        pending.push({ node: (node as Record<string, unknown>)[key], parent: next, key });
      }
      // Member names are checked before any value, in document order, as the values are.
      for (const key of keys) {
        if (!key.isWellFormed()) return pointerOf({ node: undefined, parent: next, key });
      }
    }
  }
  return undefined;
}

function pointerOf(entry: Pending): string {
  const segments: string[] = [];
  for (let at = entry; at.parent !== undefined; at = at.parent) {
    segments.push(`/${String(at.key).replaceAll('~', '~0').replaceAll('/', '~1')}`);
  }
  return segments.reverse().join('');
}
