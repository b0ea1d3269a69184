import { X509Certificate, createPublicKey } from 'node:crypto';
import { inspectCertificateChain, readPrivateKeyPem, requireAcceptableKey } from '@portcullis/pki';
import type { ServerCertificate } from './entities.ts';
import type { Caller } from './caller.ts';
import type { Deps } from './deps.ts';
import { accountOf } from './accounts.ts';
import { ApiError } from './api-error.ts';
import { commit, withRetry } from './commit.ts';
import { isWithinZone } from '@portcullis/config';
import { newId } from './ids.ts';
import { indexes } from './names.ts';
import { type PageOf, type PageRequest, window } from './paging.ts';
import { requireSite } from './sites.ts';

const maxChainCertificates = 8;

/** The envelope context of a server certificate's key. */
export const serverKeyContext = (id: string) => `serverCertificate:${id}`;

/**
 * The certificates edges present for a site's hostnames (TLS server side): a chain and its
 * key, uploaded together. The key is sealed by the key manager before it is stored and is
 * never returned.
 */
export function serverCertificatesService(deps: Deps) {
  const { store } = deps;

  return {
    /**
     * Checks and stores a chain (leaf first, PEM) with its private key: 1 to 8 CERTIFICATE
     * blocks and nothing else, every key acceptable to libs/pki's key policy (`Key.TooWeak`
     * for RSA under 2048 bits, as CSRs and CA uploads), the key must belong to the leaf, the
     * leaf must be an end-entity certificate (not a CA, serverAuth if it has an
     * extendedKeyUsage) valid now, and its DNS names within the site's zone are the
     * hostnames it serves (at least one).
     */
    async upload(caller: Caller, siteId: string, input: { certificate: string; privateKey: string }): Promise<ServerCertificate> {
      const accountId = accountOf(caller);
      const site = await requireSite(store, accountId, siteId);
      const chain = inspectCertificateChain(input.certificate);
      if (chain.length === 0 || chain.length > maxChainCertificates) {
        throw new ApiError('InvalidParameter.ServerCertificate', {
          message: `Give 1 to ${maxChainCertificates} PEM certificates, leaf first.`,
        });
      }
      // The key policy of libs/pki, the one CSRs and uploaded CAs meet: every key an edge
      // would present (leaf and chain) is RSA 2048–8192 or EC P-256/P-384/P-521 (Key.*).
      chain.forEach(({ info }, i) =>
        requireAcceptableKey(info.keyAlgorithm, {
          allowEd25519: false,
          what: i === 0 ? 'the leaf certificate' : `chain certificate ${i + 1}`,
        }),
      );
      const leafPem = chain[0]!.pem;
      const leaf = chain[0]!.info;
      const now = deps.now();
      if (leaf.isCa || leaf.keyUsage?.includes('keyCertSign') || leaf.notBefore > now || leaf.notAfter < now) {
        throw new ApiError('InvalidParameter.ServerCertificate', { message: 'The first certificate must be a leaf that is valid now.' });
      }
      if (leaf.extendedKeyUsage !== null && !leaf.extendedKeyUsage.includes('serverAuth')) {
        throw new ApiError('InvalidParameter.ServerCertificate', {
          message: 'The leaf certificate is not for TLS servers (its extendedKeyUsage lacks serverAuth).',
        });
      }
      const key = readPrivateKeyPem(input.privateKey);
      const keySpki = createPublicKey(key).export({ type: 'spki', format: 'der' });
      const leafSpki = new X509Certificate(leafPem).publicKey.export({ type: 'spki', format: 'der' });
      if (!keySpki.equals(leafSpki)) throw new ApiError('InvalidParameter.CertificateKeyMismatch');
      const hostnames = leaf.subjectAltNames.dns.map((d) => d.toLowerCase()).filter((d) => isWithinZone(d, site.data.name));
      if (hostnames.length === 0) {
        throw new ApiError('InvalidParameter.ServerCertificate', { message: `The certificate names no hostname of ${site.data.name}.` });
      }

      const id = newId('serverCertificate');
      const certificate: ServerCertificate = {
        id,
        accountId,
        siteId,
        certificatePem: chain.map((c) => c.pem).join(''),
        privateKey: await deps.keyManager.seal(Buffer.from(key.export({ type: 'pkcs8', format: 'pem' }) as string), serverKeyContext(id)),
        hostnames,
        fingerprintSha256: leaf.fingerprintSha256,
        notBefore: leaf.notBefore.toISOString(),
        notAfter: leaf.notAfter.toISOString(),
        createdAt: now.toISOString(),
      };
      // As for client certificates: the site guard keeps the certificate from landing under a
      // site deleted meanwhile; an unrelated site change only re-reads the site.
      await withRetry(async () => {
        const current = await requireSite(store, accountId, siteId);
        await commit(store, caller, {
          guards: [{ type: 'unchanged', kind: 'site', id: siteId, rev: current.rev }],
          puts: [{ kind: 'serverCertificate', id, data: certificate, indexes: [indexes.serverCertificatesOf(siteId)], uniques: [] }],
          audit: [
            {
              accountId,
              action: 'ServerCertificate.Upload',
              target: { kind: 'serverCertificate', id },
              details: { hostnames: hostnames.join(',').slice(0, 2000) },
            },
          ],
        });
      });
      return certificate;
    },

    async list(caller: Caller, siteId: string, page: PageRequest): Promise<PageOf<ServerCertificate>> {
      await requireSite(store, accountOf(caller), siteId);
      const listed = await store.list('serverCertificate', indexes.serverCertificatesOf(siteId), window(page));
      return { totalCount: listed.total, ...page, items: listed.items.map((i) => i.data) };
    },

    async delete(caller: Caller, siteId: string, id: string): Promise<void> {
      const accountId = accountOf(caller);
      await requireSite(store, accountId, siteId);
      const found = await store.get('serverCertificate', id);
      if (!found || found.data.accountId !== accountId || found.data.siteId !== siteId) throw new ApiError('NotFound.ServerCertificate');
      await commit(store, caller, {
        guards: [{ type: 'unchanged', kind: 'serverCertificate', id, rev: found.rev }],
        deletes: [{ kind: 'serverCertificate', id }],
        audit: [{ accountId, action: 'ServerCertificate.Delete', target: { kind: 'serverCertificate', id } }],
      });
    },
  };
}
