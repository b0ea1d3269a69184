// @portcullis/config: the edge resources both sides share — their types, names, encoding
// and versions. The control plane builds them from its store; edges decode and validate them.
export { resourceTypes, resourceTypeOrder, resourceTypeOf, resourceName } from './resource-types.ts';
export type { ResourceType, ResourceMessages } from './resource-types.ts';
export { encodeResource, decodeResource, versionOf, ConfigError } from './encoded-resource.ts';
export type { EncodedResource } from './encoded-resource.ts';
export {
  canonicalHostname,
  canonicalHostnamePattern,
  isHostname,
  isHostnamePattern,
  isWithinZone,
  maxHostnameLength,
  normaliseHost,
  parentOf,
  wildcardParent,
} from './hostnames.ts';
export type { HostnameResult } from './hostnames.ts';
