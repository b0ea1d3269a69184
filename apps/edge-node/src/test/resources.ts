import { encodeResource, resourceName, type EncodedResource, type ResourceMessages, type ResourceType } from '@portcullis/config';

/** A resource to put on a fake discovery server: its type and encoded form. */
export interface TypedResource {
  readonly type: ResourceType;
  readonly resource: EncodedResource;
}

function typed<T extends ResourceType>(type: T, id: string, message: ResourceMessages[T]): TypedResource {
  return { type, resource: encodeResource(type, resourceName(type, id), message) };
}

export function siteResource(id: string, zone: string, originUrl: string, forwardClientCert = false): TypedResource {
  return typed('site', id, { id, zone, originUrl, forwardClientCert });
}

/** A trust bundle: CAs by id (PEM), and hostname → CA ids. */
export function trustResource(siteId: string, cas: Record<string, string>, bindings: Record<string, string[]>): TypedResource {
  return typed('trust', siteId, {
    siteId,
    cas: Object.entries(cas)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, certificatePem]) => ({ id, certificatePem })),
    bindings: Object.entries(bindings)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([hostname, caIds]) => ({ hostname, caIds: [...caIds].sort() })),
  });
}

export function credentialResource(
  id: string,
  siteId: string,
  hostnames: string[],
  material: { chainPem: string; keyPem: string },
): TypedResource {
  return typed('credential', id, {
    id,
    siteId,
    hostnames: [...hostnames].sort(),
    certificateChainPem: material.chainPem,
    privateKeyPem: material.keyPem,
  });
}

export function revocationsResource(caId: string, serials: string[]): TypedResource {
  return typed('revocations', caId, { caId, serials: [...serials].sort() });
}

/** A WAF rule as the control plane sends it; `action` block with `status` 403 unless given. */
export interface TestRule {
  id: string;
  expression: string;
  action?: 'block' | 'log' | 'allow';
  status?: number;
  body?: string;
  contentType?: string;
  enabled?: boolean;
}

export function wafResource(siteId: string, rules: TestRule[]): TypedResource {
  return typed('waf', siteId, {
    siteId,
    rules: rules.map((rule) => ({
      id: rule.id,
      expression: rule.expression,
      action: rule.action ?? 'block',
      status: rule.status ?? ((rule.action ?? 'block') === 'block' ? 403 : 0),
      body: rule.body ?? '',
      contentType: rule.contentType ?? '',
      enabled: rule.enabled ?? true,
      description: '',
    })),
  });
}
