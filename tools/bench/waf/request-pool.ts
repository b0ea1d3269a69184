import { NO_CLIENT_CERT, type ClientCertFacts, type RequestFacts } from '@portcullis/waf';

/** A small deterministic PRNG (mulberry32), so every run measures the same requests. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Entries with relative weights, for `weighted`. */
type Weighted<T> = readonly (readonly [T, number])[];

const hosts: Weighted<string> = [
  ['www.example.com', 30],
  ['static.example.com', 15],
  ['shop.example.com', 10],
  ['example.com', 5],
  ['a.example.com', 15],
  ['api.example.com', 20],
  ['admin.example.com', 5],
];
const mtlsHosts = new Set(['a.example.com', 'api.example.com', 'admin.example.com']);
const pathsByHost: Readonly<Record<string, Weighted<string>>> = {
  'api.example.com': [
    ['/api/v1/users/1234', 4],
    ['/api/v2/orders', 4],
    ['/api/v1/health', 1],
  ],
  'admin.example.com': [
    ['/admin/settings', 3],
    ['/admin/users', 2],
  ],
  'static.example.com': [
    ['/static/js/app.3f9c2.js', 3],
    ['/static/css/site.css', 2],
    ['/images/logo.png', 2],
  ],
};
const webPaths: Weighted<string> = [
  ['/', 6],
  ['/index.html', 2],
  ['/search', 3],
  ['/login', 2],
  ['/account/profile', 2],
  ['/images/logo.png', 2],
  ['/static/js/app.3f9c2.js', 2],
];
const benignQueries: Weighted<string> = [
  ['', 12],
  ['page=2', 2],
  ['q=shoes&sort=price', 2],
  ['id=42', 2],
  ['utm_source=mail&utm_campaign=x', 1],
];
const browsers = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
  'Googlebot/2.1 (+http://www.google.com/bot.html)',
];
const apiClients = ['okhttp/4.12.0', 'python-requests/2.31.0', 'Go-http-client/2.0', 'curl/8.5.0'];
// What the 5% of hostile requests look like: probes, scanners, injections.
const attacks: readonly ((r: { path: string; query: string; userAgent: string }) => void)[] = [
  (r) => (r.path = '/wp-login.php'),
  (r) => (r.path = '/.env'),
  (r) => (r.path = '/files/../../etc/passwd'),
  (r) => (r.query = "id=1' or 1=1--"),
  (r) => (r.query = 'q=1 UNION SELECT password FROM users'),
  (r) => (r.userAgent = 'sqlmap/1.8#stable (https://sqlmap.org)'),
  (r) => (r.userAgent = 'Mozilla/5.0 zgrab/0.x'),
];
const accepts = ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'application/json', '*/*', 'image/avif,image/webp,*/*'];
const languages = ['en-US,en;q=0.9', 'de-DE,de;q=0.8,en;q=0.5', 'fr-FR', 'ja-JP'];

function cert(rand: () => number, now: number): ClientCertFacts {
  const roll = rand();
  const revoked = roll < 0.05;
  const untrusted = roll >= 0.05 && roll < 0.12;
  const serial = Math.floor(rand() * 0xffffff)
    .toString(16)
    .toUpperCase()
    .padStart(6, '0');
  return {
    presented: true,
    chainVerified: !untrusted,
    revoked,
    serial,
    fingerprintSha256: Array.from({ length: 32 }, () =>
      Math.floor(rand() * 256)
        .toString(16)
        .padStart(2, '0'),
    ).join(''),
    subjectDn: `CN=device-${serial.toLowerCase()},OU=${rand() < 0.5 ? 'fleet' : 'partners'},O=Example Corp`,
    issuerDn: untrusted
      ? 'CN=Unknown CA,O=Elsewhere'
      : rand() < 0.8
        ? 'CN=Example Client CA,O=Example Corp'
        : 'CN=Partner CA,O=Partner Ltd',
    issuerSki: untrusted ? '00AA' : 'A1B2C3D4E5F60718293A4B5C6D7E8F9012345678',
    notBefore: now - 86_400 * 100,
    notAfter: now + 86_400 * Math.floor(rand() * 400),
    error: revoked ? 'revoked' : untrusted ? 'untrusted' : '',
  };
}

function sourceIp(rand: () => number): string {
  const roll = rand();
  if (roll < 0.15) return `2001:db8:${Math.floor(rand() * 0xffff).toString(16)}::${Math.floor(rand() * 0xffff).toString(16)}`;
  if (roll < 0.25) return `::ffff:198.51.100.${Math.floor(rand() * 256)}`;
  if (roll < 0.3) return `10.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}`;
  return `${1 + Math.floor(rand() * 222)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}`;
}

/**
 * `size` realistic request facts: browsers on the open hostnames, API clients with client
 * certificates (mostly valid; some revoked, untrusted or missing) on the mTLS hostnames, admin
 * traffic from internal addresses, and 5% hostile requests (probes, scanners, injections).
 */
export function requestPool(size: number, seed = 20240901): RequestFacts[] {
  const rand = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const weighted = <T>(list: Weighted<T>): T => {
    let r = rand() * list.reduce((sum, [, w]) => sum + w, 0);
    for (const [value, w] of list) if ((r -= w) < 0) return value;
    return list[list.length - 1]![0];
  };
  const now = 1_767_225_600;
  return Array.from({ length: size }, (): RequestFacts => {
    const host = weighted(hosts);
    const mtls = mtlsHosts.has(host);
    const api = host === 'api.example.com';
    const request = {
      path: weighted(pathsByHost[host] ?? webPaths),
      query: weighted(benignQueries),
      userAgent: api || (mtls && rand() < 0.5) ? pick(apiClients) : pick(browsers),
    };
    if (rand() < 0.05) pick(attacks)(request);
    const headers: Record<string, string[]> = {
      host: [host],
      accept: [api ? 'application/json' : pick(accepts)],
      'accept-language': [pick(languages)],
      'user-agent': [request.userAgent],
    };
    if (rand() < 0.3) headers['x-forwarded-for'] = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => sourceIp(rand));
    if (api && rand() < 0.7) headers['authorization'] = ['Bearer eyJhbGciOiJFUzI1NiJ9.e30.sig'];
    if (!api && rand() < 0.02) headers['authorization'] = ['Basic dXNlcjpwYXNz'];
    if (rand() < 0.1) headers['content-type'] = [rand() < 0.8 ? 'application/json' : 'multipart/form-data; boundary=x'];
    if (!api && rand() < 0.6) headers['cookie'] = ['session=abc123; theme=dark'];
    const method =
      rand() < 0.85
        ? 'GET'
        : weighted<string>([
            ['POST', 8],
            ['PUT', 2],
            ['DELETE', 1],
            ['HEAD', 2],
            ['OPTIONS', 1],
            ['TRACE', 0.2],
          ]);
    return {
      host,
      method,
      ...request,
      headers,
      sourceIp: host === 'admin.example.com' && rand() < 0.9 ? `::ffff:198.51.100.${Math.floor(rand() * 256)}` : sourceIp(rand),
      tls: rand() < 0.99,
      clientCert: mtls && rand() < 0.9 ? cert(rand, now) : NO_CLIENT_CERT,
    };
  });
}
