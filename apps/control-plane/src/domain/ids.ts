import { randomBytes } from 'node:crypto';

/** Entity id prefixes, so an id says what it names in logs and support tickets. */
const prefixes = {
  account: 'acc',
  apiKey: 'key',
  site: 'site',
  serverCertificate: 'srv',
  clientCertificate: 'cc',
  customCa: 'ca',
  wafRule: 'rule',
  joinToken: 'jt',
} as const;

/** A new random id (80 bits) for an entity kind, e.g. `cc_3f9a0c1d2e4b5a6f7081`. */
export function newId(kind: keyof typeof prefixes): string {
  return `${prefixes[kind]}_${randomBytes(10).toString('hex')}`;
}
