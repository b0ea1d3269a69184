import { resourceTypeOrder, resourceTypes } from '@portcullis/config';
import { parsePrometheusText } from '@portcullis/testing';
import { describe, expect, it } from 'vitest';
import type { EdgeStatus, TypeStatus } from '../discovery/edge-status.ts';
import { createControlPlaneMetrics } from './control-plane-metrics.ts';

function edge(nodeId: string, connected: boolean, types: Partial<Pick<TypeStatus, 'inSync' | 'ackedSystemVersion'>>[]): EdgeStatus {
  return {
    nodeId,
    connected,
    connectedSince: undefined,
    lastSeen: '2026-12-04T21:00:00.000Z',
    peer: undefined,
    certificate: undefined,
    types: resourceTypeOrder.map((type, i) => ({
      type,
      typeUrl: resourceTypes[type].typeUrl,
      openStreams: connected ? 1 : 0,
      versions: new Map(),
      ackedSystemVersion: types[i]?.ackedSystemVersion,
      ackedAt: undefined,
      lastNack: undefined,
      inSync: types[i]?.inSync ?? true,
    })),
  };
}

describe('control plane edge metrics', () => {
  it('counts connected and in-sync edges and gives each connected edge its lag behind the cache', async () => {
    const metrics = createControlPlaneMetrics();
    const edges = [
      edge('edge-a', true, []),
      edge('edge-b', true, [
        { inSync: false, ackedSystemVersion: 7 },
        { inSync: false, ackedSystemVersion: 9 },
      ]),
      edge('edge-c', false, [{ inSync: false, ackedSystemVersion: 1 }]),
    ];
    metrics.watch({ edges: { list: () => edges }, cache: { version: () => 12 } });
    const scrape = parsePrometheusText(await metrics.text());
    expect(scrape.value('portcullis_cp_edges_connected')).toBe(2);
    expect(scrape.value('portcullis_cp_edges_in_sync')).toBe(1);
    expect(scrape.value('portcullis_cp_discovery_cache_revision')).toBe(12);
    expect(scrape.labelSets('portcullis_cp_edge_revision_lag')).toEqual([{ node: 'edge-a' }, { node: 'edge-b' }]);
    expect(scrape.value('portcullis_cp_edge_revision_lag', { node: 'edge-a' })).toBe(0);
    expect(scrape.value('portcullis_cp_edge_revision_lag', { node: 'edge-b' })).toBe(5);
  });
});
