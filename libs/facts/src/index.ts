// @portcullis/facts: the one builder of the facts the WAF decides on, shared by the edge (per
// connection and per request) and the control plane's rule tester, so the two cannot disagree
// on what a certificate or a request looks like to a rule.

export { connectionCertificate, requestCertificateFacts, NO_CONNECTION_CERTIFICATE } from './certificate-facts.ts';
export type { ConnectionCertificate, RevocationLookup } from './certificate-facts.ts';
export { buildRequestFacts } from './request-facts.ts';
export type { RequestInput } from './request-facts.ts';
