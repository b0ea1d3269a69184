import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type * as Esbuild from 'esbuild';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ApiError } from '../domain/api-error.ts';

/** A file of the console as served: its bytes and media type. */
interface ConsoleFile {
  readonly body: Buffer;
  readonly type: string;
}

/** The console's files by name under /console/; nothing else is served there. */
type ConsoleFiles = ReadonlyMap<string, ConsoleFile>;

const mediaTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

/** The static files of apps/console/public, served beside the bundle. */
const publicFiles = ['index.html', 'console.css'];

/**
 * The console's policy: scripts, styles and requests only from this origin (no inline
 * script or style), never framed, no referrer, nothing sniffed.
 */
export const consoleSecurityHeaders: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  // Always revalidated, so a new control plane's console replaces the old one at once.
  'cache-control': 'no-cache',
};

function readFolder(folder: string, names: readonly string[]): Map<string, ConsoleFile> {
  return new Map(
    names.map((name) => [name, { body: readFileSync(path.join(folder, name)), type: mediaTypes[path.extname(name)]! }] as const),
  );
}

/**
 * Bundles apps/console/src/main.ts for the browser in memory with esbuild's JS API (a dev
 * dependency, present in the source tree; the image carries a prebuilt bundle instead).
 * The specifier is a variable so that bundling the control plane leaves esbuild out.
 */
async function buildFromSource(consoleRoot: string): Promise<ConsoleFiles> {
  const esbuildName = 'esbuild';
  const esbuild = (await import(esbuildName)) as typeof Esbuild;
  const result = await esbuild.build({
    entryPoints: [path.join(consoleRoot, 'src/main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    outfile: 'console.js',
    logLevel: 'silent',
  });
  const files = readFolder(path.join(consoleRoot, 'public'), publicFiles);
  const [bundle] = result.outputFiles;
  files.set('console.js', { body: Buffer.from(bundle!.contents), type: mediaTypes['.js']! });
  return files;
}

/**
 * Where the console comes from: a prebuilt `console/` folder beside this module (the bundled
 * image, tools/build/bundle-app.ts), else apps/console built from source on first request.
 */
function consoleSource(): () => Promise<ConsoleFiles> {
  const prebuilt = path.join(import.meta.dirname, 'console');
  if (existsSync(path.join(prebuilt, 'console.js'))) {
    const files = readFolder(prebuilt, [...publicFiles, 'console.js']);
    return async () => files;
  }
  let building: Promise<ConsoleFiles> | undefined;
  return () => {
    building ??= buildFromSource(path.resolve(import.meta.dirname, '../../../console')).catch((error: unknown) => {
      building = undefined;
      throw error;
    });
    return building;
  };
}

/**
 * Serves the web console at /console/ (and redirects /console there): its page, style sheet
 * and script, each with `consoleSecurityHeaders`. Any other name under /console/ is
 * `NotFound.Route`. The console itself calls the API with the caller's key.
 */
export async function consoleRoutes(app: FastifyInstance): Promise<void> {
  const files = consoleSource();
  const send = async (reply: FastifyReply, name: string) => {
    const file = (await files()).get(name);
    if (!file) throw new ApiError('NotFound.Route');
    return reply.headers(consoleSecurityHeaders).type(file.type).send(file.body);
  };
  app.get('/console', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/', 301));
  app.get('/console/', { schema: { hide: true } }, async (_request, reply) => send(reply, 'index.html'));
  app.get<{ Params: { file: string } }>('/console/:file', { schema: { hide: true } }, async (request, reply) =>
    send(reply, request.params.file),
  );
}
