/**
 * Names of the store's secondary indexes and unique constraints, in one place so every
 * writer and reader agrees on them.
 */
export const indexes = {
  accounts: 'accounts',
  apiKeysOf: (accountId: string) => `apiKeys:${accountId}`,
  /** Every site of every account, for configuration builders. */
  allSites: 'sites',
  sitesOf: (accountId: string) => `sites:${accountId}`,
  serverCertificatesOf: (siteId: string) => `serverCertificates:${siteId}`,
  clientCertificatesOf: (siteId: string) => `clientCertificates:${siteId}`,
  /** The custom CAs of an account across its sites: the plan's quota counts these. */
  customCasOfAccount: (accountId: string) => `customCas:${accountId}`,
  customCasOfSite: (siteId: string) => `customCas:site:${siteId}`,
  revocationsOf: (caId: string) => `revocations:${caId}`,
  bindingsOf: (siteId: string) => `bindings:${siteId}`,
  /** Every edge join token, oldest first. */
  joinTokens: 'joinTokens',
  /** Written by the store itself with every commit that carries audit entries. */
  auditOf: (accountId: string) => `audit:${accountId}`,
} as const;

export const uniques = {
  /** A zone belongs to one site in the whole system: edges route by hostname. */
  siteName: 'siteName',
  customCaFingerprint: (siteId: string) => `customCaFingerprint:${siteId}`,
  /** Serial → client certificate id, per issuing CA: revocation checks look serials up. */
  clientCertificateSerial: (caId: string) => `clientCertificateSerial:${caId}`,
} as const;
