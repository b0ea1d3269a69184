import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enroll, EnrollmentError, obtainNodeIdentity } from './enrollment.ts';
import { identityFiles, NodeIdentityError, readNodeIdentity } from './node-identity.ts';
import { recordingLogger } from '../test/edge-harness.ts';
import { createFakeFleet, type FakeFleet } from '../test/fake-fleet.ts';

/** Enrollment against an HTTP endpoint that follows docs/edge-protocol.md. */
describe('enrollment', () => {
  let fleet: FakeFleet;
  const dirs: string[] = [];
  const stateDir = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'edge-enroll-'));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    fleet = await createFakeFleet();
    await fleet.listen();
  });
  afterAll(async () => {
    await fleet?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('enrolls on first start, keeps key, certificate and fleet CA at mode 0600, and never logs the token or key', async () => {
    fleet.tokens.set('jt_first', 1);
    const dir = stateDir();
    const { log, lines } = recordingLogger();
    const identity = await obtainNodeIdentity(
      {
        stateDir: dir,
        controlPlaneUrl: fleet.url,
        joinToken: 'jt_first',
        nodeId: 'edge-a',
        fleetCaSha256: fleet.ca.info.fingerprintSha256,
      },
      log,
    );
    expect(identity).toMatchObject({ nodeId: 'edge-a', fleetCaFingerprintSha256: fleet.ca.info.fingerprintSha256 });
    expect(fleet.received.at(-1)).toMatchObject({ joinToken: 'jt_first', nodeId: 'edge-a' });
    expect(String(fleet.received.at(-1)!['publicKeyPem'])).toContain('BEGIN PUBLIC KEY');
    for (const file of Object.values(identityFiles)) expect(statSync(path.join(dir, file)).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(dir, identityFiles.key), 'utf8')).toContain('BEGIN PRIVATE KEY');
    const logged = JSON.stringify(lines);
    expect(logged).toContain('enrolled');
    expect(logged).not.toContain('jt_first');
    expect(logged).not.toContain('PRIVATE KEY');

    // A second start uses what is on disk: the token (now used up) is not needed.
    const again = await obtainNodeIdentity(
      { stateDir: dir, controlPlaneUrl: fleet.url, joinToken: 'jt_first', nodeId: 'edge-a', fleetCaSha256: undefined },
      log,
    );
    expect(again.certificatePem).toBe(identity.certificatePem);
    expect(fleet.received.filter((b) => b['joinToken'] === 'jt_first')).toHaveLength(1);
  });

  it('reports a refused token and a bad node id as Refused, without retrying', async () => {
    const settings = {
      stateDir: stateDir(),
      controlPlaneUrl: fleet.url,
      joinToken: 'jt_unknown',
      nodeId: 'edge-b',
      fleetCaSha256: undefined,
    };
    const { log } = recordingLogger();
    await expect(obtainNodeIdentity(settings, log)).rejects.toMatchObject({
      code: 'Enrollment.Refused',
      message: expect.stringContaining('Auth.InvalidJoinToken'),
    });
    fleet.tokens.set('jt_b', 1);
    await expect(enroll({ ...settings, joinToken: 'jt_b', nodeId: 'Bad_Id' })).rejects.toMatchObject({ code: 'Enrollment.Refused' });
  });

  it('refuses a fleet CA that does not match the pin', async () => {
    fleet.tokens.set('jt_pin', 1);
    await expect(
      enroll({ controlPlaneUrl: fleet.url, joinToken: 'jt_pin', nodeId: 'edge-c', fleetCaSha256: 'ab'.repeat(32) }),
    ).rejects.toMatchObject({ code: 'Enrollment.BadResponse', message: expect.stringContaining('pinned') });
  });

  it('retries while the control plane is unreachable, then gives up', async () => {
    const { log } = recordingLogger();
    const sleeps: number[] = [];
    const settings = {
      stateDir: stateDir(),
      controlPlaneUrl: 'http://127.0.0.1:9',
      joinToken: 'jt_x',
      nodeId: 'edge-d',
      fleetCaSha256: undefined,
    };
    await expect(obtainNodeIdentity(settings, log, { attempts: 3, sleep: async (ms) => void sleeps.push(ms) })).rejects.toBeInstanceOf(
      EnrollmentError,
    );
    expect(sleeps).toHaveLength(2);
  });

  it('refuses a state directory of another node, a damaged identity, and starts without a token only if enrolled', async () => {
    fleet.tokens.set('jt_e', 1);
    const dir = stateDir();
    const { log } = recordingLogger();
    await obtainNodeIdentity(
      { stateDir: dir, controlPlaneUrl: fleet.url, joinToken: 'jt_e', nodeId: 'edge-e', fleetCaSha256: undefined },
      log,
    );
    await expect(
      obtainNodeIdentity(
        { stateDir: dir, controlPlaneUrl: undefined, joinToken: undefined, nodeId: 'edge-other', fleetCaSha256: undefined },
        log,
      ),
    ).rejects.toBeInstanceOf(NodeIdentityError);
    await expect(readNodeIdentity(dir, 'cd'.repeat(32))).rejects.toThrow('pinned');
    await expect(
      obtainNodeIdentity(
        { stateDir: stateDir(), controlPlaneUrl: undefined, joinToken: undefined, nodeId: 'edge-f', fleetCaSha256: undefined },
        log,
      ),
    ).rejects.toMatchObject({ code: 'Enrollment.NotConfigured' });
    writeFileSync(path.join(dir, identityFiles.key), (await fleet.nodeCredential('edge-e')).keyPem);
    await expect(readNodeIdentity(dir, undefined)).rejects.toThrow('does not belong');
  });

  it('renews a certificate close to expiry when a new token is configured', async () => {
    fleet.tokens.set('jt_g1', 1);
    fleet.tokens.set('jt_g2', 1);
    const dir = stateDir();
    const { log } = recordingLogger();
    const base = { stateDir: dir, controlPlaneUrl: fleet.url, nodeId: 'edge-g', fleetCaSha256: undefined };
    const first = await obtainNodeIdentity({ ...base, joinToken: 'jt_g1' }, log);
    const later = () => new Date(first.notAfter.getTime() - 24 * 3600 * 1000);
    const renewed = await obtainNodeIdentity({ ...base, joinToken: 'jt_g2' }, log, { now: later });
    expect(renewed.certificatePem).not.toBe(first.certificatePem);
    // With the token used up, renewal fails and the current certificate is kept.
    const kept = await obtainNodeIdentity({ ...base, joinToken: 'jt_g2' }, log, { now: later });
    expect(kept.certificatePem).toBe(renewed.certificatePem);
  });
});
