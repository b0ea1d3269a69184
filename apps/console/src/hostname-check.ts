/**
 * A first check of a hostname as it is typed, before the control plane's own (which is the
 * authority and may still refuse): DNS syntax after IDNA (the browser's URL parser), and
 * within the site's zone. Returns null when it looks right, else the reason.
 */
export function hostnameProblem(input: string, zone: string): string | null {
  const value = input.trim().toLowerCase().replace(/\.$/, '');
  if (!value) return 'Enter a hostname.';
  const wildcard = value.startsWith('*.');
  let ascii: string;
  try {
    ascii = new URL(`http://${wildcard ? value.slice(2) : value}/`).hostname;
  } catch {
    return 'Not a valid hostname.';
  }
  const labels = ascii.split('.');
  if (ascii.length > 253 || labels.some((l) => !/^(?!-)[a-z0-9-]{1,63}(?<!-)$/.test(l))) return 'Not a valid hostname.';
  const name = wildcard ? `*.${ascii}` : ascii;
  const bare = name.replace(/^\*\./, '');
  if (name !== zone && !bare.endsWith(`.${zone}`) && bare !== zone) return `Not in this site: must be ${zone} or a name under it.`;
  return null;
}
