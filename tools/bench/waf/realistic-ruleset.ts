import type { RuleDefinition } from '@portcullis/waf';

// Deterministic address and serial lists, the size real block lists reach.
const badNetworks = Array.from({ length: 40 }, (_, i) => `${((i * 37) % 223) + 1}.${(i * 91) % 256}.0.0/16`);
const badAddresses = Array.from({ length: 200 }, (_, i) => `${((i * 53) % 223) + 1}.${(i * 17) % 256}.${(i * 29) % 256}.${(i * 71) % 256}`);
const revokedSerials = Array.from({ length: 20 }, (_, i) => `"${(0xaa00 + i * 7).toString(16).toUpperCase().padStart(6, '0')}"`);
const knownHosts = [
  'a.example.com',
  'api.example.com',
  'admin.example.com',
  'www.example.com',
  'static.example.com',
  'shop.example.com',
  'example.com',
];

const block = { type: 'block' } as const;
const log = { type: 'log' } as const;
const allow = { type: 'allow' } as const;

/**
 * Fifty rules of the kinds a site runs: IP lists with CIDRs, scanner and injection regexes,
 * path prefixes, header checks, mutual-TLS certificate conditions per hostname, and log-only
 * monitors. Ordered as a site would: cheap global blocks first, allows for static content and
 * health checks late, monitors last, so most requests go through most rules.
 */
export const realisticRules: readonly RuleDefinition[] = [
  { id: 'allow-monitoring', expression: 'ip.src in {203.0.113.10 203.0.113.11 2001:db8:ffff::/48}', action: allow },
  { id: 'block-bad-v4', expression: `ip.src in {${badNetworks.join(' ')}}`, action: block },
  {
    id: 'block-bad-v6',
    expression: 'ip.src in {2001:db8:dead::/48 2001:db8:beef::/48 2001:db8:bad::/48 2001:db8:f00d::/64}',
    action: block,
  },
  { id: 'block-single-ips', expression: `ip.src in {${badAddresses.join(' ')}}`, action: block },
  { id: 'scanner-ua', expression: 'http.user_agent matches "(?i)(sqlmap|nikto|nmap|masscan|zgrab|wpscan)"', action: block },
  { id: 'methods', expression: 'not http.request.method in {"GET" "HEAD" "POST" "PUT" "DELETE" "OPTIONS" "PATCH"}', action: block },
  { id: 'trace-method', expression: 'http.request.method eq "TRACE"', action: block },
  { id: 'plain-http', expression: 'not ssl and http.host ne "example.com"', action: block },
  { id: 'dotfiles', expression: 'starts_with(http.request.uri.path, "/.")', action: block },
  { id: 'wp-probe', expression: 'ends_with(http.request.uri.path, ".php")', action: block },
  { id: 'lower-path-wp', expression: 'lower(http.request.uri.path) contains "/wp-"', action: block },
  { id: 'traversal', expression: String.raw`http.request.uri matches r"(?i)(\.\./|%2e%2e%2f|%252e)"`, action: block },
  {
    id: 'sqli-query',
    expression: String.raw`http.request.uri.query matches r"(?i)(union\s+select|'\s*or\s+\d+=\d+|sleep\()"`,
    action: block,
  },
  { id: 'uri-length', expression: 'len(http.request.uri) gt 2048', action: block },
  { id: 'search-long-query', expression: 'http.request.uri.path eq "/search" and len(http.request.uri.query) gt 512', action: block },
  {
    id: 'host-header-mismatch',
    expression: `not http.request.headers["host"] in {${knownHosts.map((h) => `"${h}"`).join(' ')}}`,
    action: block,
  },
  { id: 'lang', expression: 'http.request.headers["accept-language"] in {"xx" "zz-ZZ"}', action: block },
  { id: 'mtls-a', expression: 'http.host eq "a.example.com" and not ssl.client_cert.verified', action: block },
  { id: 'mtls-api', expression: 'http.host eq "api.example.com" and not ssl.client_cert.verified', action: block },
  {
    id: 'mtls-admin-cf',
    expression: 'http.host eq "admin.example.com" and (not cf.tls_client_auth.cert_verified or cf.tls_client_auth.cert_revoked)',
    action: block,
  },
  {
    id: 'cert-revoked-serials',
    expression: `http.host in {"a.example.com" "api.example.com"} and ssl.client_cert.serial in {${revokedSerials.join(' ')}}`,
    action: block,
  },
  {
    id: 'cert-fingerprint-deny',
    expression: `http.host eq "api.example.com" and ssl.client_cert.fingerprint_sha256 in {"${'0'.repeat(64)}" "${'f'.repeat(64)}" "${'ab'.repeat(32)}"}`,
    action: block,
  },
  {
    id: 'cert-partner-scope',
    expression: 'http.host eq "admin.example.com" and ssl.client_cert.issuer_dn contains "Partner"',
    action: block,
  },
  {
    id: 'admin-internal-only',
    expression: 'http.host eq "admin.example.com" and not ip.src in {10.0.0.0/8 198.51.100.0/24}',
    action: block,
  },
  { id: 'admin-path', expression: 'starts_with(http.request.uri.path, "/admin") and not ssl.client_cert.verified', action: block },
  {
    id: 'api-version',
    expression: String.raw`http.host eq "api.example.com" and not http.request.uri.path matches r"^/api/v[12]/"`,
    action: block,
  },
  {
    id: 'bearer-api',
    expression:
      'http.host eq "api.example.com" and not starts_with(http.request.headers["authorization"], "Bearer ") and not ssl.client_cert.verified',
    action: block,
  },
  {
    id: 'multipart-api',
    expression: 'http.host eq "api.example.com" and http.request.headers["content-type"] contains "multipart"',
    action: block,
  },
  { id: 'basic-auth', expression: 'starts_with(http.request.headers["authorization"], "Basic ") and not ssl', action: block },
  {
    id: 'account-needs-cookie',
    expression: 'starts_with(http.request.uri.path, "/account") and len(http.request.headers["cookie"]) eq 0',
    action: block,
  },
  { id: 'python-clients', expression: 'starts_with(http.user_agent, "python-requests") and http.host ne "api.example.com"', action: block },
  { id: 'delete-non-api', expression: 'http.request.method eq "DELETE" and http.host ne "api.example.com"', action: block },
  { id: 'health', expression: 'http.request.uri.path eq "/api/v1/health" and ip.src in {10.0.0.0/8}', action: allow },
  { id: 'static-skip', expression: 'http.host eq "static.example.com" and http.request.method in {"GET" "HEAD"}', action: allow },
  { id: 'log-internal', expression: 'ip.src in {10.0.0.0/8 172.16.0.0/12 192.168.0.0/16}', action: log },
  { id: 'log-v6', expression: 'ip.src in {2001:db8::/32} and http.host eq "admin.example.com"', action: log },
  {
    id: 'api-partner-ips',
    expression: 'http.host eq "api.example.com" and ip.src in {198.51.100.0/24} and ssl.client_cert.issuer_dn contains "Partner"',
    action: log,
  },
  { id: 'xff-regex', expression: String.raw`http.request.headers["x-forwarded-for"] matches r"^10\."`, action: log },
  { id: 'empty-ua', expression: 'http.user_agent eq "" and not http.host in {"api.example.com"}', action: log },
  { id: 'login-post', expression: 'http.request.uri.path eq "/login" and http.request.method eq "POST"', action: log },
  { id: 'xff-chain', expression: 'len(http.request.headers["x-forwarded-for"]) gt 3', action: log },
  {
    id: 'json-accept-log',
    expression: 'lower(http.request.headers["accept"]) contains "application/json" and http.host eq "www.example.com"',
    action: log,
  },
  { id: 'cookie-debug', expression: 'http.request.headers["cookie"] contains "debug=1"', action: log },
  {
    id: 'cert-expiring',
    expression: 'http.host in {"a.example.com" "api.example.com"} and ssl.client_cert.verified and ssl.client_cert.not_after lt 1769817600',
    action: log,
  },
  {
    id: 'cert-error-log',
    expression:
      'http.host in {"a.example.com" "api.example.com" "admin.example.com"} and ssl.client_cert.error in {"untrusted" "expired" "bad_signature"}',
    action: log,
  },
  {
    id: 'cert-subject-fleet',
    expression: 'http.host eq "api.example.com" and ssl.client_cert.verified and not ssl.client_cert.subject_dn contains "OU=fleet"',
    action: log,
  },
  { id: 'options-log', expression: 'http.request.method eq "OPTIONS"', action: log },
  { id: 'query-utm', expression: 'http.request.uri.query contains "utm_source=" and http.host eq "shop.example.com"', action: log },
  {
    id: 'images-no-referer',
    expression: 'starts_with(http.request.uri.path, "/images/") and len(http.request.headers["referer"]) eq 0',
    action: log,
  },
  { id: 'curl-admin', expression: 'http.host eq "admin.example.com" and http.user_agent contains "curl"', action: log },
];
