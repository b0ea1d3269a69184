import { NO_CLIENT_CERT, type ClientCertFacts } from '@portcullis/waf';
import { describe, expect, it } from 'vitest';
import { isEdgeOwnedHeader, upstreamRequestHeaders } from './upstream-headers.ts';

const verified: ClientCertFacts = {
  presented: true,
  chainVerified: true,
  revoked: false,
  serial: '0a1b',
  fingerprintSha256: 'ab'.repeat(32),
  subjectDn: 'CN=Zoë,O=100% Test',
  issuerDn: 'CN=Bound CA',
  issuerSki: '',
  notBefore: 0,
  notAfter: 0,
  error: '',
};

/** A header list with one value per name, as the edge groups what it received. */
const one = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]]));

describe('upstream headers', () => {
  const clientSent = {
    host: 'api.example.com',
    accept: '*/*',
    connection: 'keep-alive, x-private',
    'x-private': 'hop',
    'keep-alive': 'timeout=5',
    te: 'trailers',
    'client-cert': ':Zm9yZ2Vk:',
    'client-cert-chain': ':Zm9yZ2Vk:',
    'x-forwarded-client-cert': 'By=spoofed',
    'x-client-cert-verified': 'SUCCESS',
    'x-client-cert-anything': 'spoofed',
    'x-forwarded-for': '203.0.113.9',
    'x-request-id': 'client-chosen',
    cookie: 'a=1; b=2',
  };

  it('drops hop-by-hop and client-sent edge headers, then adds the verified facts', () => {
    const headers = upstreamRequestHeaders(one(clientSent), {
      requestId: 'req-1',
      clientIp: '127.0.0.1',
      host: 'api.example.com',
      clientCert: verified,
      clientCertHeader: ':MIIB:',
    });
    expect(headers).toEqual({
      host: 'api.example.com',
      accept: '*/*',
      cookie: 'a=1; b=2',
      'x-client-cert-verified': 'SUCCESS',
      'x-client-cert-serial': '0a1b',
      'x-client-cert-fingerprint-sha256': 'ab'.repeat(32),
      'x-client-cert-subject': 'CN=Zo%C3%AB,O=100%25 Test',
      'x-client-cert-issuer': 'CN=Bound CA',
      'client-cert': ':MIIB:',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'api.example.com',
      'x-request-id': 'req-1',
    });
  });

  it('says NONE without a certificate and FAILED with the reason for a bad one, without Client-Cert for none', () => {
    const base = { requestId: 'r', clientIp: '::1', host: 'h' };
    expect(
      upstreamRequestHeaders(one(clientSent), { ...base, clientCert: NO_CLIENT_CERT, clientCertHeader: undefined }),
    ).not.toHaveProperty('client-cert');
    expect(upstreamRequestHeaders({}, { ...base, clientCert: NO_CLIENT_CERT, clientCertHeader: undefined })['x-client-cert-verified']).toBe(
      'NONE',
    );
    const revoked = { ...verified, revoked: true, error: 'revoked' as const };
    expect(upstreamRequestHeaders({}, { ...base, clientCert: revoked, clientCertHeader: ':x:' })).toMatchObject({
      'x-client-cert-verified': 'FAILED:revoked',
      'client-cert': ':x:',
    });
  });

  it('knows which headers are the edge’s', () => {
    for (const name of ['client-cert', 'x-client-cert-serial', 'x-forwarded-proto', 'x-forwarded-client-cert'])
      expect(isEdgeOwnedHeader(name)).toBe(true);
    expect(isEdgeOwnedHeader('x-client-certificate')).toBe(false);
  });

  it('drops every spelling of every header the edge sets (case, `_` for `-`), and of its families', () => {
    const facts = { requestId: 'r', clientIp: '127.0.0.1', host: 'h', clientCert: verified, clientCertHeader: ':MIIB:' };
    const edgeSet = Object.keys(upstreamRequestHeaders({}, facts));
    expect(edgeSet).toEqual(expect.arrayContaining(['x-client-cert-verified', 'x-client-cert-serial', 'client-cert', 'x-request-id']));
    const names = [...edgeSet, 'client-cert-chain', 'forwarded', 'x-forwarded-port', 'x-forwarded-server', 'x-client-cert-anything'];
    const spellings = (name: string) => {
      const parts = name.split('-');
      return [
        name.replaceAll('-', '_'),
        ...parts.slice(1).map((_, i) => parts.map((p, j) => (j === 0 ? p : (j === i + 1 ? '_' : '-') + p)).join('')),
      ];
    };
    const clientSent: Record<string, string> = { accept: '*/*' };
    for (const name of names) for (const spelling of spellings(name)) clientSent[spelling] = 'SPOOFED';
    expect(Object.keys(clientSent).length).toBeGreaterThan(names.length * 2);
    for (const spelling of Object.keys(clientSent).filter((n) => n !== 'accept'))
      expect(isEdgeOwnedHeader(spelling.toUpperCase())).toBe(true);
    const sent = upstreamRequestHeaders(one(clientSent), facts);
    expect(Object.values(sent)).not.toContain('SPOOFED');
    expect(Object.keys(sent).filter((n) => n.includes('_'))).toEqual([]);
    expect(sent['x-client-cert-verified']).toBe('SUCCESS');
  });

  it('drops `_` spellings of framing headers and keeps other `_` headers', () => {
    const sent = upstreamRequestHeaders(
      one({
        host: 'api.example.com',
        content_length: '5',
        transfer_encoding: 'chunked',
        content_type: 'text/html',
        keep_alive: '1',
        x_app_token: 'kept',
      }),
      { requestId: 'r', clientIp: '::1', host: 'h', clientCert: NO_CLIENT_CERT, clientCertHeader: undefined },
    );
    expect(Object.keys(sent).sort()).toEqual(
      ['host', 'x-client-cert-verified', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-request-id', 'x_app_token'].sort(),
    );
  });

  it('forwards every value of a repeated header in order, and honours a Connection header sent in several lines', () => {
    const sent = upstreamRequestHeaders(
      { accept: ['text/html', 'text/plain'], connection: ['keep-alive', 'x-private'], 'x-private': ['hop'] },
      { requestId: 'r', clientIp: '::1', host: 'h', clientCert: NO_CLIENT_CERT, clientCertHeader: undefined },
    );
    expect(sent.accept).toEqual(['text/html', 'text/plain']);
    expect(sent).not.toHaveProperty('x-private');
    expect(sent).not.toHaveProperty('connection');
  });
});
