import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseMasterKeys } from './crypto/key-manager.ts';

/** The control plane's settings, read once at start from the environment. */
export interface ControlPlaneConfig {
  readonly httpHost: string;
  readonly httpPort: number;
  readonly grpcHost: string;
  readonly grpcPort: number;
  /** TLS for the gRPC admin API (PEM chain and key); undefined serves plaintext, for a loopback bind. */
  readonly grpcTls: { readonly certificateChain: Buffer; readonly privateKey: Buffer } | undefined;
  /** The discovery stream to edges (gRPC, always mutual TLS with the fleet CA). */
  readonly discoveryHost: string;
  readonly discoveryPort: number;
  /** Names (DNS or IP) edges dial, covered by the discovery server certificate besides localhost and loopback. */
  readonly discoveryNames: readonly string[];
  /** How often the resource cache reads the store's change records when idle. */
  readonly discoveryPollMs: number;
  /** Redis for production and several replicas; undefined selects the embedded store. */
  readonly redisUrl: string | undefined;
  /** Where the embedded store and generated local secrets live. */
  readonly dataDir: string;
  readonly masterKeys: Buffer[];
  readonly adminToken: string;
  readonly logLevel: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads the configuration. Secrets come from `PORTCULLIS_MASTER_KEY(_FILE)` and
 * `PORTCULLIS_ADMIN_TOKEN(_FILE)`. With the embedded store and neither set, first start
 * generates both into files of mode 0600 under the data directory (a single-node setup
 * then works out of the box); with Redis they must be given, since every replica needs the
 * same ones. Secrets are never logged.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ControlPlaneConfig {
  const redisUrl = env['PORTCULLIS_REDIS_URL'] || undefined;
  const dataDir = path.resolve(env['PORTCULLIS_DATA_DIR'] || 'data');
  const secret = (name: string, generate: () => string) => {
    const direct = env[name];
    if (direct) return direct.trim();
    const file = env[`${name}_FILE`];
    if (file) return readFileSync(file, 'utf8').trim();
    if (redisUrl) throw new ConfigError(`${name} or ${name}_FILE is required with PORTCULLIS_REDIS_URL`);
    return generatedSecret(
      dataDir,
      name
        .toLowerCase()
        .replace(/^portcullis_/, '')
        .replaceAll('_', '-'),
      generate,
    );
  };
  return {
    httpHost: env['PORTCULLIS_HTTP_HOST'] || '127.0.0.1',
    httpPort: port(env, 'PORTCULLIS_HTTP_PORT', 8080),
    grpcHost: env['PORTCULLIS_GRPC_HOST'] || '127.0.0.1',
    grpcPort: port(env, 'PORTCULLIS_GRPC_PORT', 9090),
    grpcTls: grpcTls(env),
    discoveryHost: env['PORTCULLIS_DISCOVERY_HOST'] || '127.0.0.1',
    discoveryPort: port(env, 'PORTCULLIS_DISCOVERY_PORT', 9443),
    discoveryNames: (env['PORTCULLIS_DISCOVERY_NAMES'] ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean),
    discoveryPollMs: whole(env, 'PORTCULLIS_DISCOVERY_POLL_MS', 50, 10, 5_000),
    redisUrl,
    dataDir,
    masterKeys: parseMasterKeys(secret('PORTCULLIS_MASTER_KEY', () => randomBytes(32).toString('base64'))),
    adminToken: checkToken(secret('PORTCULLIS_ADMIN_TOKEN', () => `adm_${randomBytes(32).toString('base64url')}`)),
    logLevel: env['PORTCULLIS_LOG_LEVEL'] || 'info',
  };
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new ConfigError(`${name} must be a port number`);
  return value;
}

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}`);
  return value;
}

/** `PORTCULLIS_GRPC_TLS_CERT_FILE` and `PORTCULLIS_GRPC_TLS_KEY_FILE`: both or neither. */
function grpcTls(env: NodeJS.ProcessEnv): ControlPlaneConfig['grpcTls'] {
  const certFile = env['PORTCULLIS_GRPC_TLS_CERT_FILE'];
  const keyFile = env['PORTCULLIS_GRPC_TLS_KEY_FILE'];
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) throw new ConfigError('PORTCULLIS_GRPC_TLS_CERT_FILE and PORTCULLIS_GRPC_TLS_KEY_FILE go together');
  const read = (file: string) => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new ConfigError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  };
  return { certificateChain: read(certFile), privateKey: read(keyFile) };
}

function checkToken(token: string): string {
  if (token.length < 24) throw new ConfigError('the admin token must be at least 24 characters');
  return token;
}

/** Reads `<dataDir>/<name>`, creating it with a generated value (mode 0600) on first use. */
function generatedSecret(dataDir: string, name: string, generate: () => string): string {
  const file = path.join(dataDir, name);
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `${generate()}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  }
  return readFileSync(file, 'utf8').trim();
}
