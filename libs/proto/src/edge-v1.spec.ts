import { describe, expect, it } from 'vitest';
import { edgeV1 } from './index.ts';

describe('edge v1 wire types', () => {
  it('round-trips a delta response through protobuf bytes', () => {
    const sent = {
      typeUrl: 'portcullis.edge.v1.Site',
      resources: [{ name: 'site/1', version: 'abc', body: Buffer.from([1, 2, 3]) }],
      removedResources: ['site/2'],
      nonce: 'n-1',
      systemVersion: 42,
      heartbeat: false,
      inSync: false,
    };
    const bytes = edgeV1.DeltaResourcesResponse.encode(sent).finish();
    expect(edgeV1.DeltaResourcesResponse.decode(bytes)).toEqual(sent);
  });

  it('carries a heartbeat that an edge built before heartbeats reads as an empty response with no nonce', () => {
    const bytes = edgeV1.DeltaResourcesResponse.encode(
      edgeV1.DeltaResourcesResponse.fromPartial({ typeUrl: 'portcullis.edge.v1.Site', systemVersion: 9, heartbeat: true, inSync: true }),
    ).finish();
    expect(edgeV1.DeltaResourcesResponse.decode(bytes)).toMatchObject({ heartbeat: true, inSync: true, systemVersion: 9, nonce: '' });
    // Fields 6 and 7 are new: a reader that knows only fields 1–5 skips them.
    expect([...bytes.subarray(-4)]).toEqual([0x30, 1, 0x38, 1]);
  });

  it('carries a NACK with its error detail', () => {
    const nack = edgeV1.DeltaResourcesRequest.fromPartial({
      nodeId: 'edge-a',
      typeUrl: 'portcullis.edge.v1.WafRuleset',
      responseNonce: 'n-7',
      errorDetail: { code: 'Resource.Invalid', message: 'bad rule', resourceNames: ['waf/site-1'] },
    });
    const decoded = edgeV1.DeltaResourcesRequest.decode(edgeV1.DeltaResourcesRequest.encode(nack).finish());
    expect(decoded.errorDetail?.resourceNames).toEqual(['waf/site-1']);
    expect(decoded.initialResourceVersions).toEqual({});
  });

  it('names the gRPC method after the proto package', () => {
    expect(edgeV1.DiscoveryServiceService.deltaResources.path).toBe('/portcullis.edge.v1.DiscoveryService/DeltaResources');
    expect(edgeV1.DiscoveryServiceService.deltaResources.requestStream).toBe(true);
  });
});
