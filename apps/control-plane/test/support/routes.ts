import type { FastifyInstance } from 'fastify';

/**
 * Every route the app serves, as `METHOD /path` (HEAD left out: fastify adds it to every
 * GET), read from fastify's own route tree, so a route added anywhere shows up here.
 */
export function registeredRoutes(app: FastifyInstance): string[] {
  const lines = app.printRoutes({ commonPrefix: false }).split('\n');
  const pathAt: string[] = [];
  const routes: string[] = [];
  for (const line of lines) {
    const match = /^([\s│]*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    const path = (depth === 0 ? '' : pathAt[depth - 1]!) + match[2]!;
    pathAt[depth] = path;
    pathAt.length = depth + 1;
    for (const method of (match[3] ?? '').split(', ').filter(Boolean)) {
      if (method !== 'HEAD') routes.push(`${method} ${path}`);
    }
  }
  return [...new Set(routes)].sort();
}

/** The authenticated API: REST routes under /v1 (the RPC endpoint is `/`, by Action). */
export function apiRoutes(app: FastifyInstance): string[] {
  return registeredRoutes(app).filter((route) => route.split(' ')[1]!.startsWith('/v1/'));
}
