import http from 'node:http';
import {
  createCertificateAuthority,
  issueClientCertificate,
  issueServerCertificate,
  loadIssuingCa,
  localCaSigner,
  type CreatedCertificateAuthority,
  type IssuingCa,
} from '@portcullis/pki';

/**
 * A fleet CA and the control plane's enrollment endpoint as docs/edge-protocol.md describes
 * them, for edge tests: `POST /v1/edge/enroll` takes `{ joinToken, nodeId, publicKeyPem }` and
 * answers a 30-day node certificate (CN = node id) or the documented errors.
 */
export interface FakeFleet {
  readonly ca: CreatedCertificateAuthority;
  readonly issuer: IssuingCa;
  /** The URL of the enrollment server (call `listen` first). */
  url: string;
  /** Tokens the endpoint accepts, with their remaining uses. */
  readonly tokens: Map<string, number>;
  /** Bodies the endpoint received. */
  readonly received: Record<string, unknown>[];
  listen(): Promise<void>;
  /** A discovery server certificate from the fleet CA. */
  serverCredential(names: { dnsNames?: string[]; ipAddresses?: string[] }): Promise<{ certificatePem: string; keyPem: string }>;
  /** A node certificate for `nodeId` with a fresh key (for tests that skip enrollment). */
  nodeCredential(nodeId: string): Promise<{ certificatePem: string; keyPem: string }>;
  close(): Promise<void>;
}

export async function createFakeFleet(): Promise<FakeFleet> {
  const ca = await createCertificateAuthority({ subject: { commonName: 'Portcullis Fleet CA (test)' } });
  const issuer = await loadIssuingCa(ca.certificatePem, localCaSigner(ca.privateKey));
  const tokens = new Map<string, number>();
  const received: Record<string, unknown>[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url !== '/v1/edge/enroll') return reply(404, { code: 'NotFound', message: 'no route' });
      const body = JSON.parse(text) as { joinToken: string; nodeId: string; publicKeyPem: string };
      received.push(body);
      const uses = tokens.get(body.joinToken) ?? 0;
      if (uses <= 0) return reply(401, { code: 'Auth.InvalidJoinToken', message: 'The join token is not valid.', requestId: 'r' });
      if (!/^[a-z0-9-]{1,64}$/.test(body.nodeId))
        return reply(400, { code: 'InvalidParameter.NodeId', message: 'bad node id', requestId: 'r' });
      tokens.set(body.joinToken, uses - 1);
      void issueClientCertificate(issuer, { publicKey: body.publicKeyPem, commonName: body.nodeId, validityDays: 30 }).then((issued) =>
        reply(201, {
          nodeId: body.nodeId,
          certificatePem: issued.certificatePem,
          fleetCaPem: ca.certificatePem,
          serialNumber: issued.info.serialNumber,
          notAfter: issued.info.notAfter.toISOString(),
        }),
      );
    });
  });
  const fleet: FakeFleet = {
    ca,
    issuer,
    url: '',
    tokens,
    received,
    listen: () =>
      new Promise((resolve) =>
        server.listen(0, '127.0.0.1', () => {
          fleet.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
          resolve();
        }),
      ),
    async serverCredential(names) {
      const issued = await issueServerCertificate(issuer, {
        keyType: 'ec-p256',
        dnsNames: names.dnsNames ?? [],
        ipAddresses: names.ipAddresses ?? [],
      });
      return { certificatePem: issued.certificatePem, keyPem: issued.privateKeyPem! };
    },
    async nodeCredential(nodeId) {
      const issued = await issueClientCertificate(issuer, { keyType: 'ec-p256', commonName: nodeId, validityDays: 30 });
      return { certificatePem: issued.certificatePem, keyPem: issued.privateKeyPem! };
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fleet;
}
