import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  createCertificateAuthority,
  createTrustStore,
  exportPkcs12,
  generateKeyPair,
  exportPublicKeyPem,
  inspectCertificate,
  issueClientCertificate,
  loadIssuingCa,
  localCaSigner,
  pkcs12Iterations,
} from '@portcullis/pki';
import type { IssuedClientCertificate } from '@portcullis/pki';
import { rate, writeSection } from '../report.ts';
import { forgeIssuer } from './forge-peer.ts';
import { measure } from './measure.ts';
import type { Rate } from './measure.ts';
import { opensslSpeed } from './openssl-speed.ts';

/**
 * PKI benchmark: client certificates issued per second on one core (ECDSA P-256 and RSA-2048,
 * system-generated keys and pre-made CSRs), certificate parsing and chain checks per second,
 * and PKCS#12 exports per second, beside `openssl speed` figures from the same run, a
 * crypto-only ceiling derived from them, and node-forge issuing RSA-2048 certificates as a
 * peer. Operations run one at a time on the main thread; "per CPU-second" divides by the CPU
 * time of the whole process, so RSA key generation on the thread pool is counted. Writes the
 * `pki` section of docs/benchmarks.md. Takes about a minute.
 */

const started = performance.now();
const target = 1000;
const loadAtStart = os.loadavg()[0]!;

// --- openssl speed first, alone on the machine ------------------------------------------------
console.log('openssl speed -seconds 2 ecdsap256 ecdhp256 rsa2048 …');
const speed = opensslSpeed();
console.log(speed);

// --- Fixtures: CAs, pre-made CSRs, a leaf to verify -------------------------------------------
const ecCa = await createCertificateAuthority({ subject: { commonName: 'Bench P-256 CA' } });
const rsaCa = await createCertificateAuthority({ subject: { commonName: 'Bench RSA CA' }, keyType: 'rsa-2048' });
const ecIssuing = await loadIssuingCa(ecCa.certificatePem, localCaSigner(ecCa.privateKey));
const rsaIssuing = await loadIssuingCa(rsaCa.certificatePem, localCaSigner(rsaCa.privateKey));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pki-'));
function opensslCsrs(count: number, newKey: readonly string[]): string[] {
  return Array.from({ length: count }, (_, i) => {
    const csr = path.join(tmp, `${i}.csr`);
    execFileSync(
      'openssl',
      ['req', '-new', ...newKey, '-nodes', '-keyout', path.join(tmp, `${i}.key`), '-out', csr, '-subj', `/CN=device-${i}`],
      { stdio: 'ignore' },
    );
    return fs.readFileSync(csr, 'utf8');
  });
}
const p256Csrs = opensslCsrs(32, ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']);
const rsaCsrs = opensslCsrs(8, ['-newkey', 'rsa:2048']);
fs.rmSync(tmp, { recursive: true, force: true });

const issuedOk = (issued: IssuedClientCertificate): void => {
  if (!issued.certificatePem.startsWith('-----BEGIN CERTIFICATE-----')) throw new Error('issuance produced no certificate');
};

// --- Issuance ---------------------------------------------------------------------------------
console.log('issuing …');
const p256System = await measure(
  (i) => issueClientCertificate(ecIssuing, { keyType: 'ec-p256', commonName: `user-${i}` }),
  (r) => {
    issuedOk(r);
    if (r.privateKeyPem === null) throw new Error('no private key');
  },
);
const p256Csr = await measure((i) => issueClientCertificate(ecIssuing, { csr: p256Csrs[i % p256Csrs.length]! }), issuedOk);
const rsaSystem = await measure((i) => issueClientCertificate(rsaIssuing, { keyType: 'rsa-2048', commonName: `user-${i}` }), issuedOk, {
  warmupMs: 0,
  roundMs: 4000,
  rounds: 1,
});
const rsaCsr = await measure((i) => issueClientCertificate(rsaIssuing, { csr: rsaCsrs[i % rsaCsrs.length]! }), issuedOk);
console.log(
  `P-256 system ${rate(p256System.perCpuSecond)}/CPU-s, P-256 CSR ${rate(p256Csr.perCpuSecond)}/CPU-s, RSA system ${rate(rsaSystem.perCpuSecond)}/CPU-s, RSA CSR ${rate(rsaCsr.perCpuSecond)}/CPU-s`,
);

// The same crypto done bare through node:crypto (OpenSSL 3.5 inside Node, where the CLI is 3.0).
const tbsSized = crypto.randomBytes(420);
const nodeP256Crypto = await measure(
  () => {
    crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return crypto.sign('sha256', tbsSized, ecCa.privateKey);
  },
  (sig) => {
    if (sig.length < 8) throw new Error('no signature');
  },
);
const nodeRsaKeygen = await measure(
  () => generateKeyPair('rsa-2048'),
  () => {},
  { warmupMs: 0, roundMs: 3000, rounds: 1 },
);

// --- node-forge as a peer ---------------------------------------------------------------------
console.log('node-forge …');
const forgeLeafKey = exportPublicKeyPem((await generateKeyPair('rsa-2048')).publicKey);
const forgeIssue = forgeIssuer(rsaCa.certificatePem, rsaCa.privateKeyPem, forgeLeafKey);
const forge = await measure(
  forgeIssue,
  (pem) => {
    if (!pem.includes('BEGIN CERTIFICATE')) throw new Error('forge produced no certificate');
  },
  { warmupMs: 500, roundMs: 3000, rounds: 1 },
);

// --- Parse and chain check, as the edge does per connection ------------------------------------
console.log('parse and verify …');
const store = createTrustStore([
  { id: 'rsa', certificate: rsaCa.certificatePem },
  { id: 'ec', certificate: ecCa.certificatePem },
]);
const leaf = await issueClientCertificate(ecIssuing, { keyType: 'ec-p256', commonName: 'edge-client' });
const parse = await measure(
  () => inspectCertificate(leaf.certificateDer),
  (info) => {
    if (info.serialNumber !== leaf.info.serialNumber) throw new Error('wrong parse');
  },
);
const verify = await measure(
  () => store.verify(leaf.certificateDer),
  (result) => {
    if (!result.ok) throw new Error(`chain check failed: ${result.reason}`);
  },
);
const parseAndVerify = await measure(
  () => [inspectCertificate(leaf.certificateDer), store.verify(leaf.certificateDer)] as const,
  ([, result]) => {
    if (!result.ok) throw new Error('chain check failed');
  },
);

// --- PKCS#12 ----------------------------------------------------------------------------------
console.log('PKCS#12 …');
const pkcs12 = await measure(
  () =>
    exportPkcs12({
      certificate: leaf.certificateDer,
      privateKey: leaf.privateKeyPem!,
      chain: [ecCa.certificateDer],
      password: 'bench password',
    }),
  (p12) => {
    if (p12.length < 500) throw new Error('PKCS#12 too small');
  },
  { warmupMs: 200, roundMs: 3000, rounds: 1 },
);

// --- Report -----------------------------------------------------------------------------------
const serial = (...rates: number[]): number => 1 / rates.reduce((s, r) => s + 1 / r, 0);
const ceilings = {
  p256System: serial(speed.ecdhP256, speed.ecdsaP256Sign),
  p256Csr: serial(speed.ecdsaP256Verify, speed.ecdsaP256Sign),
  rsaSystem: serial(nodeRsaKeygen.perCpuSecond, speed.rsa2048Sign),
  rsaCsr: serial(speed.rsa2048Verify, speed.rsa2048Sign),
  verify: speed.ecdsaP256Verify,
};
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
const row = (name: string, r: Rate, ceiling: number | null, ceilingNote: string): string =>
  `| ${name} | ${rate(r.perCpuSecond)} | ${rate(r.perSecond)} | ${ceiling === null ? '—' : `${rate(ceiling)} (${ceilingNote})`} | ${ceiling === null ? '—' : ratio(r.perCpuSecond, ceiling)} |`;

const met = p256System.perCpuSecond >= target;
const body = `
One operation at a time on the main thread; each figure is the median of three 1-second rounds
after a warm-up (RSA key generation, node-forge and PKCS#12: one longer round). "Per CPU-second"
divides by the CPU time of the whole process (user + system, all threads), so it is the
per-core rate and counts RSA key generation done on the thread pool. Pre-made CSRs come from
\`openssl req -new\` (32 P-256, 8 RSA-2048, used in turn; each issuance verifies the CSR again).
Benchmark code: \`tools/bench/pki/\`. The one-minute load average was
${loadAtStart.toFixed(2)} on ${os.cpus().length} cores when the run started: other work on a
shared machine lowers the wall-clock column first, so compare per-CPU-second figures.

### Issuance, parsing, export

| Operation | Per CPU-second | Per second (wall) | Crypto-only ceiling | Ratio to ceiling |
|---|---:|---:|---:|---:|
${row('ECDSA P-256 client certificate, system-generated key (key generation + build + sign + PEM of certificate and key), P-256 CA', p256System, ceilings.p256System, '1 ECDH op + 1 ECDSA sign')}
${row('ECDSA P-256 client certificate from a CSR (CSR check + build + sign + PEM), P-256 CA', p256Csr, ceilings.p256Csr, '1 ECDSA verify + 1 sign')}
${row('RSA-2048 client certificate, system-generated key, RSA-2048 CA', rsaSystem, ceilings.rsaSystem, 'Node RSA key generation + 1 RSA sign')}
${row('RSA-2048 client certificate from a CSR, RSA-2048 CA', rsaCsr, ceilings.rsaCsr, '1 RSA verify + 1 sign')}
${row('Parse: `inspectCertificate(der)` (all API fields, SHA-256 fingerprint)', parse, null, '')}
${row('Chain check: `trustStore.verify(der)` (parse + ECDSA verify + time + purpose)', verify, ceilings.verify, '1 ECDSA verify')}
${row('Parse + chain check, as the edge does once per connection', parseAndVerify, ceilings.verify, '1 ECDSA verify')}
${row(`PKCS#12 export, P-256 key + certificate + CA (PBES2 AES-256-CBC, ${pkcs12Iterations.toLocaleString('en-US')} PBKDF2 and MAC iterations)`, pkcs12, null, '')}

Target: at least ${rate(target)} P-256 certificates per second per core end to end —
**${met ? 'met' : 'NOT met'}** (${ratio(p256System.perCpuSecond, target)} the target).

Crypto-only ceilings are computed from this run's \`openssl speed -seconds 2 ecdsap256 ecdhp256
rsa2048\` (CLI, OpenSSL 3.0): ECDSA P-256 ${rate(speed.ecdsaP256Sign)} signs/s and
${rate(speed.ecdsaP256Verify)} verifies/s, ECDH P-256 ${rate(speed.ecdhP256)} ops/s (the cost of
one key generation), RSA-2048 ${rate(speed.rsa2048Sign)} signs/s and ${rate(speed.rsa2048Verify)}
verifies/s; a ceiling is 1 / (sum of 1/rate) over the operations listed. \`openssl speed\` has
no RSA key generation, so that ceiling uses RSA-2048 generation through node:crypto measured in
the same run: ${rate(nodeRsaKeygen.perCpuSecond)} keys per CPU-second. Node itself links
OpenSSL ${process.versions.openssl}: P-256 key generation + one signature through node:crypto
alone run at ${rate(nodeP256Crypto.perCpuSecond)}/CPU-s here, so libs/pki's P-256 issuance is
${ratio(p256System.perCpuSecond, nodeP256Crypto.perCpuSecond)} of the bare crypto in the same
process (the rest: the key's JWK export, DER building, PEM, and the re-parse that fills
\`info\`).

### Peer: node-forge

| Operation | Per CPU-second | Per second (wall) | libs/pki, nearest equivalent | libs/pki / forge |
|---|---:|---:|---|---:|
| node-forge 1.4.3: RSA-2048 client certificate for a pre-generated key, RSA-2048 CA (build + sign + PEM) | ${rate(forge.perCpuSecond)} | ${rate(forge.perSecond)} | RSA-2048 from a CSR, RSA-2048 CA: ${rate(rsaCsr.perCpuSecond)}/CPU-s | ${ratio(rsaCsr.perCpuSecond, forge.perCpuSecond)} |

node-forge cannot parse or sign ECDSA certificates at all, so there is no P-256 comparison with
it; its RSA signing is pure JavaScript. libs/pki's nearest row also verifies the CSR, which
forge's does not do. @peculiar/x509 (about 650 certificates/s signing only, PERFORMANCE-NOTES.md)
is not installed in this workspace and was not measured.
`;

console.log(body);
writeSection('pki', 'npm run bench -- pki', body);
console.log(`pki benchmark done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
if (!met) process.exitCode = 1;
