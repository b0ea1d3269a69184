import { execFileSync } from 'node:child_process';

/** The rates `openssl speed` reports for the primitives issuance and verification are made of. */
export interface OpensslSpeed {
  readonly ecdsaP256Sign: number;
  readonly ecdsaP256Verify: number;
  /** One P-256 scalar multiplication, the cost of generating a P-256 key. */
  readonly ecdhP256: number;
  readonly rsa2048Sign: number;
  readonly rsa2048Verify: number;
}

/**
 * Runs `openssl speed -seconds 2 -mr ecdsap256 ecdhp256 rsa2048` (about ten seconds) and
 * reads its machine-readable lines: `+F2:…:2048:sign/s:verify/s` for RSA, `+F4:…:256:sign/s:
 * verify/s` for ECDSA and `+F5:…:256:ops/s:seconds` for ECDH.
 */
export function opensslSpeed(): OpensslSpeed {
  const output = execFileSync('openssl', ['speed', '-seconds', '2', '-mr', 'ecdsap256', 'ecdhp256', 'rsa2048'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const line = (tag: string, bits: string): number[] => {
    const found = output.split('\n').find((l) => l.startsWith(`+${tag}:`) && l.split(':')[2] === bits);
    if (found === undefined) throw new Error(`openssl speed printed no ${tag} line for ${bits} bits`);
    return found.split(':').slice(3).map(Number);
  };
  const [rsaSign, rsaVerify] = line('F2', '2048');
  const [ecdsaSign, ecdsaVerify] = line('F4', '256');
  const [ecdh] = line('F5', '256');
  return { ecdsaP256Sign: ecdsaSign!, ecdsaP256Verify: ecdsaVerify!, ecdhP256: ecdh!, rsa2048Sign: rsaSign!, rsa2048Verify: rsaVerify! };
}
