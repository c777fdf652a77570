/**
 * A JSON body with the surrounding whitespace of its top-level strings removed, so validation
 * (lengths, "not empty") and storage see the same text a person would: " Ada " is "Ada", and a
 * name of blanks is empty. Anything that is not a plain object is returned as it is.
 */
export function trimStrings(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  return Object.fromEntries(Object.entries(body).map(([field, value]) => [field, typeof value === 'string' ? value.trim() : value]));
}
