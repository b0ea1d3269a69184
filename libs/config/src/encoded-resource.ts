import { createHash } from 'node:crypto';
import { resourceTypes, type ResourceMessages, type ResourceType } from './resource-types.ts';

/** A resource as it travels and is cached: name, version, encoded message. */
export interface EncodedResource {
  readonly name: string;
  /** A hash of `body`: equal bodies have equal versions on every replica and after restarts. */
  readonly version: string;
  readonly body: Uint8Array;
}

/** Why a received resource cannot be used; `code` is stable (it goes into a NACK). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: 'Resource.VersionMismatch' | 'Resource.Malformed' | 'Resource.NameMismatch' | 'Resource.Invalid';
  readonly resourceName: string;

  constructor(code: ConfigError['code'], resourceName: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.code = code;
    this.resourceName = resourceName;
  }
}

/** The version of an encoded body: 128 bits of its SHA-256, hex. */
export function versionOf(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 32);
}

/**
 * Encodes a resource message. The bytes (hence the version) depend only on the message:
 * builders must put repeated fields in a canonical order (sorted), as protobuf keeps order.
 */
export function encodeResource<T extends ResourceType>(type: T, name: string, message: ResourceMessages[T]): EncodedResource {
  const codec = resourceTypes[type].codec as { encode(m: ResourceMessages[T]): { finish(): Uint8Array } };
  const body = codec.encode(message).finish();
  return { name, version: versionOf(body), body };
}

/**
 * Decodes a received resource of `type`, checking first that its version is the hash of its
 * body (a torn or altered resource is refused). Throws `ConfigError`.
 */
export function decodeResource<T extends ResourceType>(type: T, resource: EncodedResource): ResourceMessages[T] {
  if (versionOf(resource.body) !== resource.version) {
    throw new ConfigError('Resource.VersionMismatch', resource.name, `${resource.name}: the version is not the hash of the body`);
  }
  try {
    return resourceTypes[type].codec.decode(resource.body) as ResourceMessages[T];
  } catch (cause) {
    throw new ConfigError('Resource.Malformed', resource.name, `${resource.name}: not a ${resourceTypes[type].typeUrl}`, { cause });
  }
}
