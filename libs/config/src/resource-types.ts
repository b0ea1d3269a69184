import { edgeV1 } from '@portcullis/proto';

/** A message codec as ts-proto generates it. */
interface Codec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(bytes: Uint8Array): T;
}

/** Each resource type: its type URL (the stream it travels on), codec and name scheme. */
export const resourceTypes = {
  site: { typeUrl: 'portcullis.edge.v1.Site', codec: edgeV1.Site as Codec<edgeV1.Site>, prefix: 'site/' },
  trust: { typeUrl: 'portcullis.edge.v1.TrustBundle', codec: edgeV1.TrustBundle as Codec<edgeV1.TrustBundle>, prefix: 'trust/' },
  credential: {
    typeUrl: 'portcullis.edge.v1.ServerCredential',
    codec: edgeV1.ServerCredential as Codec<edgeV1.ServerCredential>,
    prefix: 'credential/',
  },
  revocations: {
    typeUrl: 'portcullis.edge.v1.RevocationSet',
    codec: edgeV1.RevocationSet as Codec<edgeV1.RevocationSet>,
    prefix: 'revocations/',
  },
  waf: { typeUrl: 'portcullis.edge.v1.WafRuleset', codec: edgeV1.WafRuleset as Codec<edgeV1.WafRuleset>, prefix: 'waf/' },
} as const;

export type ResourceType = keyof typeof resourceTypes;

/** The message of each resource type. */
export interface ResourceMessages {
  site: edgeV1.Site;
  trust: edgeV1.TrustBundle;
  credential: edgeV1.ServerCredential;
  revocations: edgeV1.RevocationSet;
  waf: edgeV1.WafRuleset;
}

/** Every resource type, in the order an edge applies them (what others refer to first). */
export const resourceTypeOrder: readonly ResourceType[] = ['site', 'credential', 'trust', 'revocations', 'waf'];

/** The resource type of a type URL, or undefined for one Portcullis does not serve. */
export function resourceTypeOf(typeUrl: string): ResourceType | undefined {
  return resourceTypeOrder.find((type) => resourceTypes[type].typeUrl === typeUrl);
}

/**
 * The stable name of a resource: `site/<site id>`, `trust/<site id>`, `credential/<id>`,
 * `revocations/<ca id>`, `waf/<site id>`.
 */
export function resourceName(type: ResourceType, id: string): string {
  return `${resourceTypes[type].prefix}${id}`;
}
