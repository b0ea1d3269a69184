import { pino } from 'pino';

/** The logging the edge's parts need: pino's methods, so tests can pass a silent or recording logger. */
export type EdgeLogger = Pick<pino.Logger, 'debug' | 'info' | 'warn' | 'error'>;

/**
 * The edge's logger: JSON lines on stdout. Nothing the edge logs carries a key, a token or a
 * whole certificate; the redaction below is a second line of defence for fields that must
 * never appear even if a caller passes them by mistake.
 */
export function createEdgeLogger(level: string, destination?: pino.DestinationStream): pino.Logger {
  return pino(
    {
      level,
      base: { service: 'edge-node' },
      redact: { paths: ['joinToken', 'privateKeyPem', 'keyPem', '*.joinToken', '*.privateKeyPem', '*.keyPem'], censor: '[redacted]' },
    },
    destination,
  );
}

/** A logger that drops everything. */
export const silentLogger: EdgeLogger = pino({ level: 'silent' });
