import fc from 'fast-check';
import {
  createCertificateAuthority,
  issueClientCertificate,
  issueServerCertificate,
  loadIssuingCa,
  localCaSigner,
  type CreatedCertificateAuthority,
  type IssuingCa,
} from '@portcullis/pki';
import { OpensslCa, type TempDir } from '../../../test/support/openssl.ts';
import { ApiError } from '../../domain/api-error.ts';
import type { Caller } from '../../domain/caller.ts';
import { listAll } from '../../domain/list-all.ts';
import { indexes } from '../../domain/names.ts';
import type { Services } from '../../domain/services.ts';
import type { Store } from '../../store/store.ts';

/** A custom CA the operations may upload, with a CRL it signed (one revoked serial). */
interface PoolCa {
  readonly certificatePem: string;
  readonly crl: string;
}

/** Two accounts on one store, and the material operations draw from. */
export interface World {
  readonly services: Services;
  readonly store: Store;
  readonly callers: readonly Caller[];
  readonly pool: readonly PoolCa[];
  /** Issues the server certificates operations upload. */
  readonly serverCa: IssuingCa;
}

const admin: Caller = { kind: 'admin', requestId: 'req_world' };

/** Creates two accounts through the services; `pool` comes from {@link makePool}. */
export async function createWorld(services: Services, store: Store, pool: readonly PoolCa[]): Promise<World> {
  const callers: Caller[] = [];
  for (const name of ['one', 'two']) {
    const { account, apiKey } = await services.accounts.createAccount(admin, { name });
    callers.push({ kind: 'account', accountId: account.id, keyId: apiKey.key.id, requestId: `req_${name}` });
  }
  const created = await createCertificateAuthority({ subject: { commonName: 'World server CA' } });
  return { services, store, callers, pool, serverCa: await loadIssuingCa(created.certificatePem, localCaSigner(created.privateKeyPem)) };
}

/** CAs for uploads, each with a CRL revoking one certificate it issued. */
export async function makePool(dir: TempDir, size: number): Promise<PoolCa[]> {
  const pool: PoolCa[] = [];
  for (let i = 0; i < size; i++) {
    const ca: CreatedCertificateAuthority = await createCertificateAuthority({ subject: { commonName: `Pool CA ${i}` } });
    const openssl = new OpensslCa(dir, `pool-${i}`, ca.certificatePem, ca.privateKeyPem);
    const issuing = await loadIssuingCa(ca.certificatePem, localCaSigner(ca.privateKeyPem));
    openssl.revoke((await issueClientCertificate(issuing, { keyType: 'ec-p256', commonName: `revoked ${i}` })).certificatePem);
    pool.push({ certificatePem: ca.certificatePem, crl: openssl.crl() });
  }
  return pool;
}

export const operationKinds = [
  'createSite',
  'updateSite',
  'deleteSite',
  'issueCertificate',
  'revokeCertificate',
  'activateCertificate',
  'deleteCertificate',
  'uploadCustomCa',
  'deleteCustomCa',
  'uploadCrl',
  'revokeSerial',
  'unrevokeSerial',
  'bindAccountCa',
  'bindCustomCa',
  'uploadServerCertificate',
  'deleteServerCertificate',
  'createWafRule',
  'updateWafRule',
  'deleteWafRule',
] as const;

/** One API operation: what to do, on whose behalf, and numbers that pick targets and values. */
export interface Operation {
  readonly kind: (typeof operationKinds)[number];
  readonly account: number;
  readonly pick: number;
  readonly value: number;
}

export const operationArbitrary: fc.Arbitrary<Operation> = fc.record({
  kind: fc.constantFrom(...operationKinds),
  account: fc.nat(1),
  pick: fc.nat(1000),
  value: fc.nat(1000),
});

/**
 * What every run starts from, so random operations find targets: per account two sites with a
 * server certificate, client certificates, a custom CA with a CRL, bindings and a WAF rule.
 */
export const seedOperations: readonly Operation[] = [0, 1].flatMap((account) =>
  (
    [
      ['createSite', 0, 0],
      ['createSite', 0, 0],
      ['uploadServerCertificate', 0, 0],
      ['issueCertificate', 0, 0],
      ['issueCertificate', 1, 0],
      ['uploadCustomCa', 1, account],
      ['uploadCrl', 1, 0],
      ['revokeSerial', 1, 3],
      ['bindAccountCa', 0, 3],
      ['bindCustomCa', 1, 2],
      ['createWafRule', 0, 1],
      ['revokeCertificate', 0, 0],
    ] as const
  ).map(([kind, pick, value]) => ({ kind, account, pick, value })),
);

let zones = 0;

/**
 * Applies `op` through the domain services, as the API would. Refusals (a target that does not
 * exist, a quota, a conflict) are part of the game and ignored: they change nothing.
 */
export async function applyOperation(world: World, op: Operation): Promise<void> {
  const { services, store } = world;
  const caller = world.callers[op.account]!;
  const accountId = caller.kind === 'account' ? caller.accountId : '';
  const choose = <T>(items: readonly T[]): T | undefined => (items.length === 0 ? undefined : items[op.pick % items.length]);
  const sites = (await listAll(store, 'site', indexes.sitesOf(accountId))).map((s) => s.data);
  const site = choose(sites);
  const hostnames = (zone: string) => [[zone], [`www.${zone}`], [`*.${zone}`], [zone, `*.${zone}`], []][op.value % 5]!;
  try {
    switch (op.kind) {
      case 'createSite':
        if (sites.length < 3)
          await services.sites.create(caller, { name: `w${++zones}.example.com`, originUrl: 'https://origin.example.net' });
        return;
      case 'updateSite':
        if (site) await services.sites.update(caller, site.id, { originUrl: `https://o${op.value}.example.net` });
        return;
      case 'deleteSite':
        if (site && op.value % 3 === 0) await services.sites.delete(caller, site.id);
        return;
      case 'uploadServerCertificate':
        if (site) {
          const issued = await issueServerCertificate(world.serverCa, {
            keyType: 'ec-p256',
            dnsNames: [`www.${site.name}`, `*.${site.name}`],
          });
          await services.serverCertificates.upload(caller, site.id, {
            certificate: issued.certificatePem,
            privateKey: issued.privateKeyPem!,
          });
        }
        return;
      case 'bindAccountCa':
        if (site) await services.bindings.set(caller, site.id, undefined, hostnames(site.name));
        return;
      case 'createWafRule':
        if (site) await services.wafRules.create(caller, site.id, { expression: `http.host eq "r${op.value}.${site.name}"` });
        return;
    }
    if (!site) return;
    const certificates = (await listAll(store, 'clientCertificate', indexes.clientCertificatesOf(site.id))).map((c) => c.data);
    const customCas = (await listAll(store, 'customCa', indexes.customCasOfSite(site.id))).map((c) => c.data);
    const certificate = choose(certificates);
    const customCa = choose(customCas);
    const rules = (await store.get('wafRuleset', site.id))?.data.rules ?? [];
    const rule = choose(rules);
    const serverCertificate = choose(await listAll(store, 'serverCertificate', indexes.serverCertificatesOf(site.id)));
    switch (op.kind) {
      case 'issueCertificate':
        await services.clientCertificates.create(caller, site.id, { pkeyType: 'ECC', validityDays: 30 });
        return;
      case 'revokeCertificate':
        if (certificate) await services.clientCertificates.revoke(caller, site.id, certificate.id, true);
        return;
      case 'activateCertificate':
        if (certificate) await services.clientCertificates.activate(caller, site.id, certificate.id);
        return;
      case 'deleteCertificate':
        if (certificate) await services.clientCertificates.delete(caller, site.id, certificate.id);
        return;
      case 'uploadCustomCa':
        await services.customCas.upload(caller, site.id, { certificate: world.pool[op.value % world.pool.length]!.certificatePem });
        return;
      case 'deleteCustomCa':
        if (customCa) await services.customCas.delete(caller, site.id, customCa.id);
        return;
      case 'uploadCrl':
        if (customCa) {
          const crl = world.pool.find((ca) => ca.certificatePem === customCa.certificatePem)!.crl;
          await services.customCas.uploadCrl(caller, site.id, customCa.id, crl);
        }
        return;
      case 'revokeSerial':
        if (customCa) await services.customCas.revokeSerial(caller, site.id, customCa.id, { serialNumber: (op.value % 8).toString(16) });
        return;
      case 'unrevokeSerial':
        if (customCa) await services.customCas.deleteRevocation(caller, site.id, customCa.id, (op.value % 8).toString(16));
        return;
      case 'bindCustomCa':
        if (customCa) await services.bindings.set(caller, site.id, customCa.id, hostnames(site.name));
        return;
      case 'deleteServerCertificate':
        if (serverCertificate) await services.serverCertificates.delete(caller, site.id, serverCertificate.id);
        return;
      case 'updateWafRule':
        if (rule) await services.wafRules.update(caller, site.id, rule.id, { enabled: op.value % 2 === 0 });
        return;
      case 'deleteWafRule':
        if (rule) await services.wafRules.delete(caller, site.id, rule.id);
        return;
    }
  } catch (error) {
    if (!(error instanceof ApiError) && !(error instanceof Error && error.name === 'PkiError')) throw error;
  }
}
