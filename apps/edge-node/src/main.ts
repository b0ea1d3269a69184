import path from 'node:path';
import { createBufferedAccessLog } from './http/access-log.ts';
import { createEdgeLogger } from './edge-logger.ts';
import { startDemoOrigin } from './demo-origin.ts';
import { startEdgeNode } from './edge-node.ts';
import { defaultNodeId, EdgeSettingsError, loadEdgeSettings } from './edge-settings.ts';
import { obtainNodeIdentity } from './identity/enrollment.ts';
import { grpcDeltaTransport } from './stream/grpc-transport.ts';
import { lastKnownGoodFile, loadLastKnownGood } from './config/last-known-good.ts';
import { readNodeIdentity } from './identity/node-identity.ts';

/**
 * Starts an edge node: settings from the environment, the node identity (enrolling with the
 * join token on first start), then the edge itself fed by the control plane's discovery
 * stream. Without a usable identity an edge that has a last-known-good configuration still
 * serves it (and says why it cannot connect); one that has none exits. Stops cleanly on
 * SIGINT/SIGTERM: stops accepting, lets requests in progress finish (up to
 * PORTCULLIS_EDGE_DRAIN_MS; with workers, each drains and exits), then exits 0. `main.mjs demo-origin` runs the demo origin instead (compose).
 */
async function main(): Promise<void> {
  if (process.argv[2] === 'demo-origin') {
    const host = process.env['PORTCULLIS_DEMO_ORIGIN_HOST'] || '127.0.0.1';
    const port = Number(process.env['PORTCULLIS_DEMO_ORIGIN_PORT'] || 8000);
    const server = await startDemoOrigin(host, port, process.env['PORTCULLIS_DEMO_ORIGIN_NAME'] || 'demo-origin');
    console.log(JSON.stringify({ msg: 'demo origin listening', host, port }));
    const stop = () => server.close(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    return;
  }
  const settings = loadEdgeSettings();
  const log = createEdgeLogger(settings.logLevel);
  // With one worker this process serves: its access log (stdout, written off the event loop).
  const accessLog = createBufferedAccessLog(settings.accessLog);
  const onDisk = await readNodeIdentity(settings.stateDir, undefined).catch(() => undefined);
  const nodeId = settings.nodeId ?? onDisk?.nodeId ?? defaultNodeId();
  let transport;
  try {
    const identity = await obtainNodeIdentity({ ...settings, nodeId }, log);
    transport = grpcDeltaTransport({ addresses: settings.discoveryAddresses, serverName: settings.discoveryServerName, identity });
  } catch (error) {
    const saved = await loadLastKnownGood(path.join(settings.stateDir, lastKnownGoodFile));
    if (saved.status !== 'loaded') throw error;
    log.error({ error: (error as Error).message }, 'no usable node identity: serving last-known-good without the control plane');
  }
  const edge = await startEdgeNode({
    nodeId,
    httpsHost: settings.httpsHost,
    httpsPort: settings.httpsPort,
    adminHost: settings.adminHost,
    adminPort: settings.adminPort,
    stateDir: settings.stateDir,
    transport,
    log,
    ...(settings.originCaPems ? { originCaPems: settings.originCaPems } : {}),
    servingLimits: settings.servingLimits,
    workers: settings.workers,
    drainMs: settings.drainMs,
    accessLog,
    workerLogging: { logLevel: settings.logLevel, accessLog: settings.accessLog },
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, drainMs: settings.drainMs }, 'stopping');
    await edge.drain(settings.drainMs);
    await accessLog.flush();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

// The worker pool forks this same entry (source or bundle) with `edge-worker`.
if (process.argv[2] === 'edge-worker') void import('./workers/worker-main.ts');
else
  main().catch((error: unknown) => {
    console.error(
      error instanceof EdgeSettingsError
        ? `configuration error: ${error.message}`
        : error instanceof Error
          ? `edge node: ${error.name}: ${error.message}`
          : error,
    );
    process.exit(1);
  });
