/**
 * The fields of an `application/x-www-form-urlencoded` body, read as the query string is: a
 * name given once is a string, a name repeated is the list of its values (which a scalar
 * field's schema then refuses, instead of one value silently winning), and the result has
 * no prototype, so `__proto__` or `constructor` are fields like any other.
 */
export function formFields(body: string): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of new URLSearchParams(body)) {
    const held = fields[name];
    fields[name] = held === undefined ? value : Array.isArray(held) ? [...held, value] : [held, value];
  }
  return fields;
}
