/**
 * A first check of a hostname as it is typed, before the control plane's own (libs/config
 * hostnames.ts, which is the authority and may still refuse, e.g. a malformed xn-- label):
 * ASCII letters, digits and hyphens in 1–63 character labels, an optional leading `*.`, no
 * trailing dot, a last label that is not numeric, and within the site's zone. Returns null
 * when it looks right, else the reason.
 */
export function hostnameProblem(input: string, zone: string): string | null {
  const value = input.trim().toLowerCase();
  if (!value) return 'Enter a hostname.';
  if (/[^\x00-\x7f]/.test(value)) return 'Only ASCII: give an IDN as its xn-- A-label.';
  if (value.endsWith('.')) return 'Give the name without the trailing dot.';
  const bare = value.startsWith('*.') ? value.slice(2) : value;
  const labels = bare.split('.');
  if (bare.length > 253 || labels.some((l) => !/^(?!-)[a-z0-9-]{1,63}(?<!-)$/.test(l))) return 'Not a valid hostname.';
  if (/^(\d+|0x[0-9a-f]*)$/.test(labels.at(-1)!)) return 'Not a valid hostname: the last label is numeric.';
  if (bare !== zone && !bare.endsWith(`.${zone}`)) return `Not in this site: must be ${zone} or a name under it.`;
  return null;
}
