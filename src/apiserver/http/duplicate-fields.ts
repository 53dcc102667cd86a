// Keys given twice in one JSON object. JSON.parse keeps the last value silently; kube-apiserver's
// strict decoding (sigs.k8s.io/json) reports each as `duplicate field "<key>"`: an error under
// fieldValidation=Strict, a warning under Warn.

/** Where the string starting at `start` (its opening quote) ends: the index of its closing quote. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i;
  }
  return text.length;
}

/**
 * The keys that occur more than once within one object of `text`, a JSON text JSON.parse has
 * accepted; each key once, in the order found, at most 100 (as Go keeps at most 100 strict errors).
 */
export function duplicateFields(text: string): string[] {
  const found = new Set<string>();
  // One entry per open object (its keys so far) or array (null).
  const open: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length && found.size < 100; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b) {
      open.push(new Set());
      expectKey = true;
    } else if (c === 0x5b) {
      open.push(null);
    } else if (c === 0x7d || c === 0x5d) {
      open.pop();
      expectKey = false;
    } else if (c === 0x2c) {
      expectKey = open[open.length - 1] instanceof Set;
    } else if (c === 0x22) {
      const end = stringEnd(text, i);
      const keys = open[open.length - 1];
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.has(key)) found.add(key);
        else keys.add(key);
        expectKey = false;
      }
      i = end;
    }
  }
  return [...found];
}
