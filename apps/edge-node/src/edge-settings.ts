import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AccessLogMode } from './http/access-log.ts';
import { servingLimitsFromEnv, type ServingLimits } from './http/serving-limits.ts';

/** The edge's settings, read once at start from the environment. */
export interface EdgeSettings {
  readonly httpsHost: string;
  readonly httpsPort: number;
  readonly adminHost: string;
  readonly adminPort: number;
  /** Where enrollment goes (`POST <url>/v1/edge/enroll`); needed only until the edge is enrolled. */
  readonly controlPlaneUrl: string | undefined;
  /** Discovery endpoints, `host:port`; the edge moves to the next one when a stream cannot connect. */
  readonly discoveryAddresses: readonly string[];
  /** The name the discovery server's certificate must carry; default the address's host. */
  readonly discoveryServerName: string | undefined;
  /** Undefined: the enrolled certificate's CN, else one made from the host name. */
  readonly nodeId: string | undefined;
  readonly joinToken: string | undefined;
  /** Lower-case hex SHA-256 of the fleet CA certificate the edge must find, when pinned. */
  readonly fleetCaSha256: string | undefined;
  readonly stateDir: string;
  readonly logLevel: string;
  /** PEM CAs trusted for https origins beside the system roots. */
  readonly originCaPems: readonly string[] | undefined;
  /** Client connection deadlines and cap (`PORTCULLIS_EDGE_*_TIMEOUT_MS`, `…_MAX_CONNECTIONS`, see serving-limits.ts). */
  readonly servingLimits: ServingLimits;
  /** Serving processes (`PORTCULLIS_EDGE_WORKERS`, default one per available core); 1 serves in the primary. */
  readonly workers: number;
  /** How long SIGTERM lets requests in progress finish (`PORTCULLIS_EDGE_DRAIN_MS`, default 10 s). */
  readonly drainMs: number;
  /** `PORTCULLIS_ACCESS_LOG` (`full`, `sampled`, `off`) and `PORTCULLIS_ACCESS_LOG_SAMPLE` (N of 1 in N, default 100). */
  readonly accessLog: { readonly mode: AccessLogMode; readonly sampleEvery: number };
}

export class EdgeSettingsError extends Error {
  override readonly name = 'EdgeSettingsError';
}

const nodeIdPattern = /^[a-z0-9-]{1,64}$/;

/**
 * Reads the settings (README: "Running an edge node"). Secrets: the join token comes from
 * `PORTCULLIS_JOIN_TOKEN` or the file named by `PORTCULLIS_JOIN_TOKEN_FILE`; it is never
 * logged. Throws `EdgeSettingsError` naming the variable that is wrong.
 */
export function loadEdgeSettings(env: NodeJS.ProcessEnv = process.env): EdgeSettings {
  const nodeId = env['PORTCULLIS_NODE_ID'] || undefined;
  if (nodeId !== undefined && !nodeIdPattern.test(nodeId)) {
    throw new EdgeSettingsError('PORTCULLIS_NODE_ID must be 1–64 characters of a-z, 0-9 and "-"');
  }
  const pin = env['PORTCULLIS_FLEET_CA_SHA256']?.replaceAll(':', '').trim().toLowerCase() || undefined;
  if (pin !== undefined && !/^[0-9a-f]{64}$/.test(pin))
    throw new EdgeSettingsError('PORTCULLIS_FLEET_CA_SHA256 must be a SHA-256 fingerprint (hex)');
  const controlPlaneUrl = env['PORTCULLIS_CONTROL_PLANE_URL'] || undefined;
  if (controlPlaneUrl !== undefined && !/^https?:\/\/[^/]+/.test(controlPlaneUrl)) {
    throw new EdgeSettingsError('PORTCULLIS_CONTROL_PLANE_URL must be an http(s) URL');
  }
  const addresses = (env['PORTCULLIS_DISCOVERY_ADDRESS'] || '127.0.0.1:9443')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  for (const address of addresses) {
    if (!/^(\[[0-9a-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(address)) {
      throw new EdgeSettingsError(`PORTCULLIS_DISCOVERY_ADDRESS: "${address}" is not host:port`);
    }
  }
  const originCaFile = env['PORTCULLIS_ORIGIN_CA_FILE'] || undefined;
  const servingLimits = servingLimitsFromEnv(env);
  if (!servingLimits.ok) throw new EdgeSettingsError(servingLimits.reason);
  const accessLogMode = env['PORTCULLIS_ACCESS_LOG'] || 'full';
  if (accessLogMode !== 'full' && accessLogMode !== 'sampled' && accessLogMode !== 'off')
    throw new EdgeSettingsError('PORTCULLIS_ACCESS_LOG must be full, sampled or off');
  return {
    httpsHost: env['PORTCULLIS_EDGE_HTTPS_HOST'] || '127.0.0.1',
    httpsPort: port(env, 'PORTCULLIS_EDGE_HTTPS_PORT', 8443),
    adminHost: env['PORTCULLIS_EDGE_ADMIN_HOST'] || '127.0.0.1',
    adminPort: port(env, 'PORTCULLIS_EDGE_ADMIN_PORT', 9901),
    controlPlaneUrl: controlPlaneUrl?.replace(/\/+$/, ''),
    discoveryAddresses: addresses,
    discoveryServerName: env['PORTCULLIS_DISCOVERY_SERVER_NAME'] || undefined,
    nodeId,
    joinToken: secret(env, 'PORTCULLIS_JOIN_TOKEN'),
    fleetCaSha256: pin,
    stateDir: path.resolve(env['PORTCULLIS_STATE_DIR'] || 'edge-state'),
    logLevel: env['PORTCULLIS_LOG_LEVEL'] || 'info',
    originCaPems: originCaFile ? [readSetting(originCaFile, 'PORTCULLIS_ORIGIN_CA_FILE')] : undefined,
    servingLimits: servingLimits.limits,
    workers: positive(env, 'PORTCULLIS_EDGE_WORKERS', os.availableParallelism(), 256),
    drainMs: positive(env, 'PORTCULLIS_EDGE_DRAIN_MS', 10_000, 3_600_000),
    accessLog: { mode: accessLogMode, sampleEvery: positive(env, 'PORTCULLIS_ACCESS_LOG_SAMPLE', 100, 1_000_000) },
  };
}

/** A node id made from the machine's host name, for edges not told theirs. */
export function defaultNodeId(hostname = os.hostname()): string {
  const id = hostname
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return id || 'edge';
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new EdgeSettingsError(`${name} must be a port number`);
  return value;
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const text = env[name];
  if (!text) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > max) throw new EdgeSettingsError(`${name} must be an integer from 1 to ${max}`);
  return value;
}

function secret(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const direct = env[name];
  if (direct) return direct.trim();
  const file = env[`${name}_FILE`];
  return file ? readSetting(file, `${name}_FILE`).trim() || undefined : undefined;
}

function readSetting(file: string, variable: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new EdgeSettingsError(`${variable}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
