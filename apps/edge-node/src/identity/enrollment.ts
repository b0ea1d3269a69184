import { exportPrivateKeyPem, exportPublicKeyPem, generateKeyPair } from '@portcullis/pki';
import type { EdgeLogger } from '../edge-logger.ts';
import { checkNodeIdentity, NodeIdentityError, readNodeIdentity, saveNodeIdentity, type NodeIdentity } from './node-identity.ts';
import { backoffDelay } from '../stream/reconnect-backoff.ts';

/**
 * Why enrollment failed. `Enrollment.Refused`: the control plane said no (bad or used-up
 * token, bad node id) — retrying will not help; `Enrollment.Unreachable`: no answer, or a
 * 5xx — retry; `Enrollment.BadResponse`: the answer is not a usable identity (wrong key,
 * not from the fleet CA, pin mismatch); `Enrollment.NotConfigured`: a setting is missing.
 */
export class EnrollmentError extends Error {
  override readonly name = 'EnrollmentError';
  readonly code: 'Enrollment.Refused' | 'Enrollment.Unreachable' | 'Enrollment.BadResponse' | 'Enrollment.NotConfigured';

  constructor(code: EnrollmentError['code'], message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.code = code;
  }
}

export interface EnrollmentRequest {
  readonly controlPlaneUrl: string;
  readonly joinToken: string;
  readonly nodeId: string;
  /** The fleet CA's pinned fingerprint, when the operator gave one. */
  readonly fleetCaSha256: string | undefined;
  readonly timeoutMs?: number;
}

/**
 * Enrolls once (docs/edge-protocol.md): generates a P-256 key, sends the public key with the
 * join token and node id to `POST <control plane>/v1/edge/enroll`, and checks the answer (a
 * node certificate for this key and node id, issued by the returned fleet CA, which matches
 * the pin if any). The private key never leaves the edge; the token travels only in the
 * request body and is never logged. Throws `EnrollmentError`.
 */
export async function enroll(request: EnrollmentRequest, fetchImpl: typeof fetch = fetch): Promise<NodeIdentity> {
  const keys = await generateKeyPair('ec-p256');
  let response: Response;
  try {
    response = await fetchImpl(`${request.controlPlaneUrl}/v1/edge/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ joinToken: request.joinToken, nodeId: request.nodeId, publicKeyPem: exportPublicKeyPem(keys.publicKey) }),
      signal: AbortSignal.timeout(request.timeoutMs ?? 15_000),
    });
  } catch (cause) {
    throw new EnrollmentError('Enrollment.Unreachable', `cannot reach ${request.controlPlaneUrl}: ${(cause as Error).message}`, { cause });
  }
  const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (!response.ok) {
    const detail = body && typeof body['code'] === 'string' ? `${body['code']}: ${String(body['message'])}` : `HTTP ${response.status}`;
    throw new EnrollmentError(
      response.status >= 500 || response.status === 429 ? 'Enrollment.Unreachable' : 'Enrollment.Refused',
      `enrollment refused (${detail})`,
    );
  }
  if (!body || typeof body['certificatePem'] !== 'string' || typeof body['fleetCaPem'] !== 'string') {
    throw new EnrollmentError('Enrollment.BadResponse', 'the enrollment answer has no certificatePem and fleetCaPem');
  }
  try {
    const identity = checkNodeIdentity(
      { keyPem: exportPrivateKeyPem(keys.privateKey), certificatePem: body['certificatePem'], fleetCaPem: body['fleetCaPem'] },
      request.fleetCaSha256,
    );
    if (identity.nodeId !== request.nodeId) throw new NodeIdentityError(`the certificate is for ${identity.nodeId}, not ${request.nodeId}`);
    return identity;
  } catch (error) {
    if (error instanceof NodeIdentityError) throw new EnrollmentError('Enrollment.BadResponse', error.message, { cause: error });
    throw error;
  }
}

/** Renew a node certificate this long before it expires (it is valid for 30 days). */
export const renewBeforeMs = 7 * 24 * 3600 * 1000;

export interface IdentitySettings {
  readonly stateDir: string;
  readonly controlPlaneUrl: string | undefined;
  readonly joinToken: string | undefined;
  readonly nodeId: string;
  readonly fleetCaSha256: string | undefined;
}

/**
 * The edge's identity: the one in the state directory, or a new one from enrollment on first
 * start (saved mode 0600 before it is used). A certificate within `renewBeforeMs` of expiry
 * is renewed by enrolling again when a join token is configured; if that fails the old one is
 * used while it is valid. A state directory that belongs to another node id is refused.
 * Transient failures (`Enrollment.Unreachable`) are retried with backoff up to `attempts`
 * times. Throws `EnrollmentError` or `NodeIdentityError`.
 */
export async function obtainNodeIdentity(
  settings: IdentitySettings,
  log: EdgeLogger,
  options: { fetchImpl?: typeof fetch; attempts?: number; now?: () => Date; sleep?: (ms: number) => Promise<void> } = {},
): Promise<NodeIdentity> {
  const now = options.now ?? (() => new Date());
  const existing = await readNodeIdentity(settings.stateDir, settings.fleetCaSha256);
  if (existing && existing.nodeId !== settings.nodeId) {
    throw new NodeIdentityError(`${settings.stateDir} holds the identity of node ${existing.nodeId}, not ${settings.nodeId}`);
  }
  const remaining = existing ? existing.notAfter.getTime() - now().getTime() : 0;
  if (existing && remaining > renewBeforeMs) return existing;
  if (!settings.joinToken || !settings.controlPlaneUrl) {
    if (existing && remaining > 0) {
      log.warn(
        { nodeId: existing.nodeId, notAfter: existing.notAfter.toISOString() },
        'node certificate expires soon; enroll again with a new join token',
      );
      return existing;
    }
    throw new EnrollmentError(
      'Enrollment.NotConfigured',
      existing
        ? 'the node certificate has expired: set PORTCULLIS_JOIN_TOKEN (a new token) and PORTCULLIS_CONTROL_PLANE_URL'
        : 'not enrolled: set PORTCULLIS_JOIN_TOKEN and PORTCULLIS_CONTROL_PLANE_URL',
    );
  }
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const attempts = options.attempts ?? 10;
  for (let attempt = 0; ; attempt++) {
    try {
      const identity = await enroll(
        {
          controlPlaneUrl: settings.controlPlaneUrl,
          joinToken: settings.joinToken,
          nodeId: settings.nodeId,
          fleetCaSha256: settings.fleetCaSha256,
        },
        options.fetchImpl,
      );
      await saveNodeIdentity(settings.stateDir, identity);
      log.info(
        { nodeId: identity.nodeId, notAfter: identity.notAfter.toISOString(), fleetCa: identity.fleetCaFingerprintSha256 },
        'enrolled',
      );
      return identity;
    } catch (error) {
      const retry = error instanceof EnrollmentError && error.code === 'Enrollment.Unreachable' && attempt + 1 < attempts;
      if (existing && remaining > 0 && !retry) {
        log.warn({ nodeId: existing.nodeId, error: (error as Error).message }, 'renewal failed; using the current node certificate');
        return existing;
      }
      if (!retry) throw error;
      const delay = backoffDelay(attempt);
      log.warn({ error: (error as Error).message, retryInMs: delay }, 'enrollment failed; retrying');
      await sleep(delay);
    }
  }
}
