import { createCertificateAuthority, loadIssuingCa, localCaSigner, type IssuingCa } from '@portcullis/pki';
import type { AccountCa } from './entities.ts';
import type { Caller } from './caller.ts';
import type { Deps } from './deps.ts';
import { accountOf } from './accounts.ts';
import { ApiError } from './api-error.ts';
import { commit } from './commit.ts';
import { factsOf } from './certificate-facts.ts';

/** The envelope context of an account CA's key: it opens only for that account's CA. */
const keyContext = (accountId: string) => `accountCa:${accountId}`;

/**
 * The CA each account owns, created on first use (ECDSA P-256, ten years). Its private key
 * is sealed by the key manager before it is stored and is never returned or logged. Two
 * replicas racing to create it both end up with the one that was committed first.
 */
export function accountCaService(deps: Deps) {
  const { store } = deps;
  // Opening the key costs an unwrap and a probe signature; a CA never changes, so each
  // replica keeps its signer for the process lifetime.
  const signers = new Map<string, Promise<IssuingCa>>();

  async function ensure(caller: Caller, accountId: string): Promise<AccountCa> {
    const existing = await store.get('accountCa', accountId);
    if (existing) return existing.data;
    const created = await createCertificateAuthority({
      subject: { commonName: `Portcullis client CA ${accountId}`, organization: 'Portcullis' },
      now: deps.now(),
    });
    const ca: AccountCa = {
      id: accountId,
      accountId,
      certificatePem: created.certificatePem,
      privateKey: await deps.keyManager.seal(Buffer.from(created.privateKeyPem), keyContext(accountId)),
      facts: factsOf(created.info),
      createdAt: deps.now().toISOString(),
    };
    try {
      await commit(store, caller, {
        guards: [{ type: 'absent', kind: 'accountCa', id: accountId }],
        puts: [{ kind: 'accountCa', id: accountId, data: ca, indexes: [], uniques: [] }],
        audit: [
          {
            accountId,
            action: 'AccountCa.Create',
            target: { kind: 'accountCa', id: accountId },
            details: { serialNumber: ca.facts.serialNumber },
          },
        ],
      });
      return ca;
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'Conflict.ConcurrentChange') throw error;
      const winner = await store.get('accountCa', accountId);
      if (!winner) throw error;
      return winner.data;
    }
  }

  return {
    /** The caller's account CA, created now if it does not exist yet. */
    async get(caller: Caller): Promise<AccountCa> {
      return ensure(caller, accountOf(caller));
    },

    /** The account CA ready to issue: certificate plus a signer over its opened key. */
    async issuer(caller: Caller): Promise<IssuingCa> {
      const accountId = accountOf(caller);
      let signer = signers.get(accountId);
      if (!signer) {
        signer = (async () => {
          const ca = await ensure(caller, accountId);
          const key = await deps.keyManager.open(ca.privateKey, keyContext(accountId));
          return loadIssuingCa(ca.certificatePem, localCaSigner(key.toString('utf8')));
        })();
        signers.set(accountId, signer);
        signer.catch(() => signers.delete(accountId));
      }
      return signer;
    },
  };
}

export type AccountCaService = ReturnType<typeof accountCaService>;
