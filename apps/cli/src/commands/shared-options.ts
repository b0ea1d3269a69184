import type { OptionSpec } from '../command.ts';

/** `--site`, taken by every command under a site. */
export const siteOption: OptionSpec = {
  type: 'string',
  value: 'SITE_ID',
  description: 'The site (see portcullis sites list)',
  required: true,
};

/** `--pem`: print only the PEM of the certificate shown. */
export const pemOption: OptionSpec = { type: 'boolean', description: 'Print only the certificate PEM' };
