/**
 * Whether the JSON text `text` names a key twice in one object (`{"confirm": false,
 * "confirm": true}`). JSON.parse keeps the last one silently, so a proxy or a log that
 * reads the first would see another request than the control plane runs. Keys compare as
 * decoded (`"a"` and `"\u0061"` are the same key). The scan is linear and iterative, so
 * deep nesting cannot exhaust the stack; text that is not JSON is left to the parser.
 */
export function hasDuplicateKey(text: string): boolean {
  // One entry per open container: the keys seen in an object, or null for an array.
  const open: (Set<string> | null)[] = [];
  let keyNext = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let end = i + 1;
      while (end < text.length && text.charCodeAt(end) !== 0x22) end += text.charCodeAt(end) === 0x5c ? 2 : 1;
      if (keyNext) {
        let key: unknown;
        try {
          key = JSON.parse(text.slice(i, end + 1));
        } catch {
          return false;
        }
        const keys = open.at(-1);
        if (keys && typeof key === 'string') {
          if (keys.has(key)) return true;
          keys.add(key);
        }
        keyNext = false;
      }
      i = end;
    } else if (c === 0x7b) {
      open.push(new Set());
      keyNext = true;
    } else if (c === 0x5b) {
      open.push(null);
      keyNext = false;
    } else if (c === 0x7d || c === 0x5d) {
      open.pop();
      keyNext = false;
    } else if (c === 0x2c) {
      keyNext = open.at(-1) instanceof Set;
    }
  }
  return false;
}
