import { apiPath } from '../api-client.ts';
import type { CommandContext, CommandGroup } from '../command.ts';
import { readBinaryFile, readTextFile } from '../files.ts';
import type { Column } from '../output.ts';
import { fetchListing, pagingOptions } from '../paging.ts';
import { pemOption, siteOption } from './shared-options.ts';

const caColumns: readonly Column[] = [
  ['id', 'id'],
  ['name', 'name'],
  ['common name', 'commonName'],
  ['not after', 'notAfter'],
  ['sha-256', 'fingerprintSha256'],
];
const caRows: readonly Column[] = [
  ['id', 'id'],
  ['site', 'siteId'],
  ['name', 'name'],
  ['type', 'type'],
  ['common name', 'commonName'],
  ['subject', 'subjectDn'],
  ['issuer', 'issuerDn'],
  ['serial', 'serialNumber'],
  ['sha-256', 'fingerprintSha256'],
  ['signature', 'signatureAlgorithm'],
  ['public key', 'pubkeyAlgorithm'],
  ['not before', 'notBefore'],
  ['not after', 'notAfter'],
  ['key id', 'subjectKeyId'],
  ['created', 'createdAt'],
];
const accountCaRows: readonly Column[] = caRows.filter(([header]) => !['site', 'name', 'type'].includes(header));
const crlRows: readonly Column[] = [
  ['ca', 'caId'],
  ['crl number', 'crlNumber'],
  ['this update', 'thisUpdate'],
  ['next update', 'nextUpdate'],
  ['revoked', 'revokedCount'],
  ['uploaded', 'uploadedAt'],
];
const revocationColumns: readonly Column[] = [
  ['serial', 'serialNumber'],
  ['source', 'source'],
  ['reason', 'reason'],
  ['revoked', 'revokedAt'],
];

const caPath = (ctx: CommandContext) => apiPath`sites/${ctx.required('site')}/client-ca-certificates/${ctx.arg('id')}`;
const idArgument = { name: 'id', description: 'The uploaded CA id (portcullis cas list)' };

/** A CRL file as the API takes it: PEM text as is, DER as base64. */
function crlBody(file: string): string {
  const bytes = readBinaryFile(file, '--upload');
  const text = bytes.toString('latin1');
  return text.includes('-----BEGIN') ? readTextFile(file, '--upload') : bytes.toString('base64');
}

/** Uploaded client CAs (bring your own CA), their CRLs and serials revoked by hand; and the account CA. */
export const casGroup: CommandGroup = {
  name: 'cas',
  summary: 'Client CAs: upload your own (with CRLs and revocations), or show the account CA',
  commands: [
    {
      name: 'upload',
      summary: "Upload a client CA certificate (PEM, currently valid, CA:TRUE); counts against the plan's quota",
      operations: ['POST /v1/sites/{siteId}/client-ca-certificates'],
      options: {
        site: siteOption,
        cert: { type: 'string', value: 'FILE', description: 'The CA certificate, PEM', required: true },
        name: { type: 'string', value: 'NAME', description: 'A name for it (default: its common name)' },
      },
      run: async (ctx) => {
        const body = {
          certificate: readTextFile(ctx.required('cert'), '--cert'),
          ...(ctx.string('name') ? { name: ctx.string('name') } : {}),
        };
        ctx.out.item(await ctx.api.post(apiPath`sites/${ctx.required('site')}/client-ca-certificates`, body), caRows);
      },
    },
    {
      name: 'list',
      summary: 'List the uploaded client CAs of a site',
      operations: ['GET /v1/sites/{siteId}/client-ca-certificates'],
      options: { site: siteOption, ...pagingOptions },
      run: async (ctx) =>
        ctx.out.list(await fetchListing(ctx, apiPath`sites/${ctx.required('site')}/client-ca-certificates`, 'CAs'), caColumns),
    },
    {
      name: 'get',
      summary: 'Show an uploaded client CA',
      operations: ['GET /v1/sites/{siteId}/client-ca-certificates/{id}'],
      args: [idArgument],
      options: { site: siteOption, pem: pemOption },
      run: async (ctx) => {
        const ca = await ctx.api.get(caPath(ctx));
        if (ctx.flag('pem')) return ctx.out.raw(ca['certificate']);
        ctx.out.item(ca, caRows);
      },
    },
    {
      name: 'delete',
      summary: 'Delete an uploaded CA with its bindings, CRL and revocations',
      operations: ['DELETE /v1/sites/{siteId}/client-ca-certificates/{id}'],
      args: [idArgument],
      options: { site: siteOption },
      run: async (ctx) => {
        await ctx.api.delete(caPath(ctx));
        ctx.out.note(`deleted CA ${ctx.arg('id')}`);
      },
    },
    {
      name: 'crl',
      summary: "Show the CA's CRL, or upload a newer one with --upload",
      operations: ['GET /v1/sites/{siteId}/client-ca-certificates/{id}/crl', 'PUT /v1/sites/{siteId}/client-ca-certificates/{id}/crl'],
      details: 'The CRL must be signed by the CA and newer than the one held. PEM and DER files are both accepted.',
      args: [idArgument],
      options: {
        site: siteOption,
        upload: { type: 'string', value: 'FILE', description: 'Upload this CRL (PEM or DER)' },
        pem: { type: 'boolean', description: 'Print only the CRL PEM' },
      },
      run: async (ctx) => {
        const path = `${caPath(ctx)}/crl`;
        const file = ctx.string('upload');
        const crl = file !== undefined ? await ctx.api.put(path, { crl: crlBody(file) }) : await ctx.api.get(path);
        if (ctx.flag('pem')) return ctx.out.raw(crl['crl']);
        ctx.out.item(crl, crlRows);
      },
    },
    {
      name: 'revoke-serial',
      summary: 'Revoke one serial number of the CA by hand',
      operations: ['POST /v1/sites/{siteId}/client-ca-certificates/{id}/revocations'],
      args: [idArgument, { name: 'serial', description: 'The serial number, hex' }],
      options: { site: siteOption, reason: { type: 'string', value: 'TEXT', description: 'Why (kept with the revocation)' } },
      run: async (ctx) => {
        const body = { serialNumber: ctx.arg('serial'), ...(ctx.string('reason') ? { reason: ctx.string('reason') } : {}) };
        ctx.out.item(await ctx.api.post(`${caPath(ctx)}/revocations`, body), [['ca', 'caId'], ...revocationColumns]);
      },
    },
    {
      name: 'revocations',
      summary: 'List the serials of the CA revoked by hand',
      operations: ['GET /v1/sites/{siteId}/client-ca-certificates/{id}/revocations'],
      args: [idArgument],
      options: { site: siteOption, ...pagingOptions },
      run: async (ctx) => ctx.out.list(await fetchListing(ctx, `${caPath(ctx)}/revocations`, 'revocations'), revocationColumns),
    },
    {
      name: 'unrevoke-serial',
      summary: 'Take back a revocation made by hand',
      operations: ['DELETE /v1/sites/{siteId}/client-ca-certificates/{id}/revocations/{serialNumber}'],
      args: [idArgument, { name: 'serial', description: 'The serial number, hex' }],
      options: { site: siteOption },
      run: async (ctx) => {
        await ctx.api.delete(`${caPath(ctx)}/revocations/${encodeURIComponent(ctx.arg('serial'))}`);
        ctx.out.note(`serial ${ctx.arg('serial')} is no longer revoked by hand`);
      },
    },
    {
      name: 'account',
      summary: "Show the account's own client CA (created on first use; never its key)",
      operations: ['GET /v1/account-ca'],
      options: { pem: pemOption },
      run: async (ctx) => {
        const ca = await ctx.api.get('account-ca');
        if (ctx.flag('pem')) return ctx.out.raw(ca['certificate']);
        ctx.out.item(ca, accountCaRows);
      },
    },
  ],
};
