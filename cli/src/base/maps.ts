/**
 * Map look-ups that must succeed: a key the caller put in the map itself. A missing key is a bug
 * in fedeval, not in the user's input, so the error is a plain Error that says what was missing.
 */

/**
 * The value `map` holds for `key`. Throws an Error naming `what` and the key when the map holds
 * no such key (a key mapped to `undefined` counts as held).
 */
export function getOrThrow<K, V>(map: ReadonlyMap<K, V>, key: K, what: string): V {
  const value = map.get(key);
  if (value === undefined && !map.has(key)) throw new Error(`no ${what} "${String(key)}"`);
  return value as V;
}
