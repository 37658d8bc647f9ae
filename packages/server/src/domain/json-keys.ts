const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * The first key that occurs twice in one object of `text`, at any depth, or `undefined`. `JSON.parse` keeps the
 * last of two equal keys silently; a body that says two things about one field is refused instead.
 *
 * `text` must be valid JSON (parse it first): the scan relies on that rather than checking the grammar again. Keys
 * are compared after unescaping, so `"a"` and `"\u0061"` are the same key. One pass, linear in the length of the
 * text (each key is added to one set), and no recursion, so deep nesting cannot overflow the stack.
 */
export function findDuplicateKey(text: string): string | undefined {
  // One entry per open container: the keys seen so far in an object, null for an array.
  const open: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      let escaped = false;
      for (i++; text.charCodeAt(i) !== QUOTE; i++) {
        if (text.charCodeAt(i) === BACKSLASH) {
          escaped = true;
          i++;
        }
      }
      const keys = open[open.length - 1];
      if (expectKey && keys) {
        const key = escaped ? (JSON.parse(text.slice(start, i + 1)) as string) : text.slice(start + 1, i);
        if (keys.has(key)) {
          return key;
        }
        keys.add(key);
        expectKey = false;
      }
    } else if (c === OPEN_OBJECT) {
      open.push(new Set());
      expectKey = true;
    } else if (c === OPEN_ARRAY) {
      open.push(null);
      expectKey = false;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      open.pop();
      expectKey = false;
    } else if (c === COMMA) {
      // After a comma inside an object comes the next key; inside an array, a value.
      expectKey = (open[open.length - 1] ?? null) !== null;
    }
  }
  return undefined;
}
