import { X509Certificate } from 'node:crypto';
import {
  ConfigError,
  decodeResource,
  resourceName,
  type EncodedResource,
  type ResourceMessages,
  type ResourceType,
} from '@portcullis/config';
import type { edgeV1 } from '@portcullis/proto';
import { createTrustStore, inspectCertificate, normaliseSerialHex } from '@portcullis/pki';
import { compileRuleset, type RuleDefinition } from '@portcullis/waf';
import type {
  CompiledCa,
  CompiledCredential,
  CompiledResources,
  CompiledRevocations,
  CompiledSite,
  CompiledTrust,
  CompiledWaf,
} from './compiled-resources.ts';
import { isHostname, isHostnamePattern, wildcardParent } from '@portcullis/config';
import { createServerContext } from '../tls/secure-contexts.ts';

/** A compiled resource, or why it cannot be used (the `ConfigError` goes into a NACK). */
export type CompileResult<T extends ResourceType> =
  { readonly ok: true; readonly value: CompiledResources[T] } | { readonly ok: false; readonly error: ConfigError };

/** Serials in one revocation set: bounds the memory a single resource can take. */
export const maxRevokedSerials = 1_000_000;
const maxCasPerSite = 64;

/**
 * Decodes and validates one received resource of `type` and builds what serving it needs.
 * Checks: the version is the hash of the body, the body decodes, the name is the one its
 * content implies (`resourceName(type, id)`), and the content is usable (hostnames
 * canonical, origin an http(s) URL, certificates and keys parse and match, CAs are CAs,
 * every binding names a CA of its bundle, serials are hex, rules compile). Only the resource
 * itself is checked: references to other resources (a credential's site) are resolved when
 * the snapshot is built, since each type arrives on its own stream. Never throws.
 */
export function compileResource<T extends ResourceType>(type: T, resource: EncodedResource): CompileResult<T> {
  try {
    const message = decodeResource(type, resource);
    const compile = compilers[type] as (message: ResourceMessages[T], resource: EncodedResource) => CompiledResources[T];
    return { ok: true, value: compile(message, resource) };
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, error };
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, error: new ConfigError('Resource.Invalid', resource.name, `${resource.name}: ${detail}`, { cause: error }) };
  }
}

const compilers: { [T in ResourceType]: (message: ResourceMessages[T], resource: EncodedResource) => CompiledResources[T] } = {
  site: compileSite,
  trust: compileTrust,
  credential: compileCredential,
  revocations: compileRevocations,
  waf: compileWaf,
};

function compileSite(site: edgeV1.Site, resource: EncodedResource): CompiledSite {
  expectName(resource, 'site', site.id);
  if (!isHostname(site.zone)) invalid(resource, `zone "${site.zone}" is not a canonical hostname`);
  let origin: URL;
  try {
    origin = new URL(site.originUrl);
  } catch {
    return invalid(resource, 'the origin is not a URL');
  }
  if ((origin.protocol !== 'http:' && origin.protocol !== 'https:') || origin.hostname === '' || origin.username || origin.password) {
    invalid(resource, 'the origin must be an http or https URL without credentials');
  }
  return { id: site.id, zone: site.zone, origin, forwardClientCert: site.forwardClientCert };
}

function compileTrust(bundle: edgeV1.TrustBundle, resource: EncodedResource): CompiledTrust {
  expectName(resource, 'trust', bundle.siteId);
  if (bundle.cas.length > maxCasPerSite) invalid(resource, `more than ${maxCasPerSite} CAs`);
  const cas = new Map<string, CompiledCa>();
  for (const ca of bundle.cas) {
    if (ca.id === '' || cas.has(ca.id)) invalid(resource, `CA id "${ca.id}" is empty or repeated`);
    cas.set(ca.id, { id: ca.id, pem: ca.certificatePem, fingerprintSha256: inspectCertificate(ca.certificatePem).fingerprintSha256 });
  }
  // Building the store checks each certificate is a CA that may sign certificates.
  createTrustStore(bundle.cas.map((ca) => ({ id: ca.id, certificate: ca.certificatePem })));
  const exact = new Map<string, readonly string[]>();
  const wildcard = new Map<string, readonly string[]>();
  for (const binding of bundle.bindings) {
    if (!isHostnamePattern(binding.hostname)) invalid(resource, `binding "${binding.hostname}" is not a hostname or *. wildcard`);
    if (binding.caIds.length === 0) invalid(resource, `binding ${binding.hostname} names no CA`);
    for (const id of binding.caIds) if (!cas.has(id)) invalid(resource, `binding ${binding.hostname} names CA "${id}", not in the bundle`);
    const parent = wildcardParent(binding.hostname);
    const table = parent === undefined ? exact : wildcard;
    const key = parent ?? binding.hostname;
    if (table.has(key)) invalid(resource, `hostname ${binding.hostname} is bound twice`);
    table.set(key, Object.freeze([...new Set(binding.caIds)].sort()));
  }
  return { siteId: bundle.siteId, cas, exact, wildcard };
}

function compileCredential(credential: edgeV1.ServerCredential, resource: EncodedResource): CompiledCredential {
  expectName(resource, 'credential', credential.id);
  if (credential.siteId === '') invalid(resource, 'no site id');
  if (credential.hostnames.length === 0) invalid(resource, 'no hostnames');
  const leafPem = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(credential.certificateChainPem)?.[0];
  if (leafPem === undefined) return invalid(resource, 'the chain holds no PEM certificate');
  const leaf = inspectCertificate(leafPem);
  const sans = new Set(leaf.subjectAltNames.dns.map((name) => name.toLowerCase()));
  const exact = new Set<string>();
  const wildcard = new Set<string>();
  for (const hostname of credential.hostnames) {
    if (!isHostnamePattern(hostname)) invalid(resource, `"${hostname}" is not a hostname or *. wildcard`);
    if (!sans.has(hostname)) invalid(resource, `the certificate does not name ${hostname}`);
    const parent = wildcardParent(hostname);
    if (parent === undefined) exact.add(hostname);
    else wildcard.add(parent);
  }
  const material = { chainPem: credential.certificateChainPem, keyPem: credential.privateKeyPem };
  // Also checks that the key belongs to the leaf: OpenSSL refuses a mismatched pair here.
  const plainContext = createServerContext(material, undefined, resource.version);
  return {
    id: credential.id,
    siteId: credential.siteId,
    version: resource.version,
    ...material,
    exact,
    wildcard,
    notAfter: new X509Certificate(leafPem).validToDate.getTime(),
    plainContext,
  };
}

function compileRevocations(set: edgeV1.RevocationSet, resource: EncodedResource): CompiledRevocations {
  expectName(resource, 'revocations', set.caId);
  if (set.serials.length > maxRevokedSerials) invalid(resource, `more than ${maxRevokedSerials} serials`);
  const serials = new Set<string>();
  for (const serial of set.serials) {
    try {
      // The set is looked up with libs/pki's form of a presented serial: normalise to it.
      serials.add(normaliseSerialHex(serial));
    } catch {
      invalid(resource, `serial "${serial.slice(0, 50)}" is not hex`);
    }
  }
  return { caId: set.caId, serials };
}

function compileWaf(waf: edgeV1.WafRuleset, resource: EncodedResource): CompiledWaf {
  expectName(resource, 'waf', waf.siteId);
  const result = compileRuleset(waf.rules.map(ruleDefinition));
  if (!result.ok) {
    const details = result.errors.map(({ ruleId, index, error }) => `${ruleId ?? `#${index ?? '?'}`}: ${error.message}`);
    invalid(resource, `rules do not compile: ${details.join('; ')}`);
  }
  return { siteId: waf.siteId, ruleset: result.ruleset };
}

function ruleDefinition(rule: edgeV1.WafRule): RuleDefinition {
  const base = { id: rule.id, expression: rule.expression, enabled: rule.enabled, description: rule.description || undefined };
  // Proto3 has no absent scalars: zero values mean "use the default".
  if (rule.action === 'block') {
    return {
      ...base,
      action: {
        type: 'block',
        ...(rule.status ? { status: rule.status } : {}),
        ...(rule.body ? { body: rule.body } : {}),
        ...(rule.contentType ? { contentType: rule.contentType } : {}),
      },
    };
  }
  return { ...base, action: { type: rule.action } as RuleDefinition['action'] };
}

function expectName(resource: EncodedResource, type: ResourceType, id: string): void {
  if (id === '' || resource.name !== resourceName(type, id)) {
    throw new ConfigError('Resource.NameMismatch', resource.name, `${resource.name}: the content is ${resourceName(type, id)}`);
  }
}

function invalid(resource: EncodedResource, detail: string): never {
  throw new ConfigError('Resource.Invalid', resource.name, `${resource.name}: ${detail}`);
}
