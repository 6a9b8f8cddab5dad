/**
 * The JSON Pointer (RFC 6901) of the first string in a parsed JSON value — a member name or a
 * value, at any depth — that is not well-formed Unicode, or `undefined` when every one is.
 *
 * JSON's `\ud800` escape yields a lone surrogate: valid JSON, but no character. Such a string
 * cannot be encoded as UTF-8 (the field cipher refuses it, a database may mangle it, a log line
 * may carry it to a reader that breaks), so the gateway and the SDK refuse it at the door, naming
 * the field. Iterative, so a deeply nested body cannot exhaust the stack.
 *
 * @example
 * illFormedStringPointer(JSON.parse('{"name":"\\ud800"}')); // '/name'
 */
export function illFormedStringPointer(value: unknown): string | undefined {
  const pending: [unknown, string][] = [[value, '']];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [node, pointer] = next;
    if (typeof node === 'string') {
      if (!node.isWellFormed()) return pointer;
    } else if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) pending.push([node[i], `${pointer}/${i}`]);
    } else if (typeof node === 'object' && node !== null) {
      const entries: [string, unknown][] = Object.entries(node);
      for (const [key, child] of entries.reverse()) {
        const at = `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
        if (!key.isWellFormed()) return at;
        pending.push([child, at]);
      }
    }
  }
  return undefined;
}
