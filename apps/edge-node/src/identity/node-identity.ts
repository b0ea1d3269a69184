import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createTrustStore, inspectCertificate } from '@portcullis/pki';
import { writeFileAtomic } from '../config/atomic-file.ts';

/** The edge's credentials for the discovery stream: its key, its node certificate and the fleet CA. */
export interface NodeIdentity {
  /** The node certificate's CN. */
  readonly nodeId: string;
  /** PKCS#8 PEM. Never logged. */
  readonly keyPem: string;
  readonly certificatePem: string;
  readonly fleetCaPem: string;
  readonly notAfter: Date;
  readonly fleetCaFingerprintSha256: string;
}

/** Files in the state directory, all mode 0600. */
export const identityFiles = { key: 'node-key.pem', certificate: 'node-cert.pem', fleetCa: 'fleet-ca.pem' } as const;

/** Why a node identity cannot be used. */
export class NodeIdentityError extends Error {
  override readonly name = 'NodeIdentityError';
}

/**
 * Checks that the three parts belong together: the certificate is a client certificate issued
 * by the fleet CA (libs/pki's chain check, valid at `now`), its key is `keyPem`, and its CN is
 * a node id. When `pin` is given the fleet CA's SHA-256 fingerprint must equal it. Throws
 * `NodeIdentityError`.
 */
export function checkNodeIdentity(
  parts: { keyPem: string; certificatePem: string; fleetCaPem: string },
  pin: string | undefined,
  now = new Date(),
): NodeIdentity {
  let fleetCa;
  let leaf;
  try {
    fleetCa = inspectCertificate(parts.fleetCaPem);
    leaf = inspectCertificate(parts.certificatePem);
  } catch (error) {
    throw new NodeIdentityError(`unreadable certificate: ${(error as Error).message}`);
  }
  if (pin !== undefined && fleetCa.fingerprintSha256 !== pin) {
    throw new NodeIdentityError(`the fleet CA's SHA-256 fingerprint is ${fleetCa.fingerprintSha256}, not the pinned ${pin}`);
  }
  const check = createTrustStore([{ id: 'fleet', certificate: parts.fleetCaPem }]).verify(parts.certificatePem, now);
  if (!check.ok) throw new NodeIdentityError(`the node certificate does not verify against the fleet CA: ${check.reason}`);
  if (!new X509Certificate(parts.certificatePem).checkPrivateKey(createPrivateKeyOrThrow(parts.keyPem))) {
    throw new NodeIdentityError('the node key does not belong to the node certificate');
  }
  if (!leaf.commonName || !/^[a-z0-9-]{1,64}$/.test(leaf.commonName))
    throw new NodeIdentityError('the node certificate has no node id as its CN');
  return { ...parts, nodeId: leaf.commonName, notAfter: leaf.notAfter, fleetCaFingerprintSha256: fleetCa.fingerprintSha256 };
}

/**
 * Reads the identity kept in `stateDir`: undefined when there is none yet (no certificate
 * file). An incomplete or inconsistent one throws `NodeIdentityError`; an expired one is
 * returned as it is, for the caller to renew.
 */
export async function readNodeIdentity(stateDir: string, pin: string | undefined): Promise<NodeIdentity | undefined> {
  const read = async (name: string) => {
    try {
      return await readFile(path.join(stateDir, name), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };
  const [keyPem, certificatePem, fleetCaPem] = await Promise.all([
    read(identityFiles.key),
    read(identityFiles.certificate),
    read(identityFiles.fleetCa),
  ]);
  if (certificatePem === undefined) return undefined;
  if (keyPem === undefined || fleetCaPem === undefined)
    throw new NodeIdentityError(`${stateDir} holds a node certificate without its key or fleet CA`);
  // Verified at its own notBefore so that an expired identity is still read (and then renewed).
  const notBefore = inspectCertificate(certificatePem).notBefore;
  return checkNodeIdentity({ keyPem, certificatePem, fleetCaPem }, pin, new Date(notBefore.getTime() + 1000));
}

/** Writes an identity into `stateDir` (created 0700), each file atomically with mode 0600; the certificate last. */
export async function saveNodeIdentity(stateDir: string, identity: NodeIdentity): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(path.join(stateDir, identityFiles.key), identity.keyPem);
  await writeFileAtomic(path.join(stateDir, identityFiles.fleetCa), identity.fleetCaPem);
  // The certificate marks the identity complete (readNodeIdentity looks for it first).
  await writeFileAtomic(path.join(stateDir, identityFiles.certificate), identity.certificatePem);
}

function createPrivateKeyOrThrow(pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    throw new NodeIdentityError('the node key is not a readable private key');
  }
}
