// Serves the built web console (web/dist, from `npm run build:web`) at GET /. Files only: it adds
// no API route and no OpenAPI entry, and never builds anything itself.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import { problem } from './problem-errors.js';

/** Both src/server/plugins and dist/server/plugins sit three levels below the project root. */
export const WEB_CONSOLE_DIR = fileURLToPath(new URL('../../../web/dist', import.meta.url));

/**
 * The console holds a token in sessionStorage, so its page may run only its own scripts and talk
 * only to this origin and the object store's: thumbnails come from presigned links on the store's
 * origin, and direct-upload parts and the storyboard index travel to and from it by fetch.
 */
export function contentSecurityPolicy(storeOrigins: string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' http: https:",
    ["connect-src 'self'", ...storeOrigins].join(' '),
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** `storeOrigins`: where the object store's presigned links point (src/server/storage/url-signer.ts `linkOrigins`). */
export default async function webConsole(app: FastifyInstance, options: { root?: string; storeOrigins: string[] }): Promise<void> {
  const root = options.root ?? WEB_CONSOLE_DIR;
  const policy = contentSecurityPolicy(options.storeOrigins);
  const assetsDir = join(root, 'assets');
  if (!existsSync(join(root, 'index.html'))) {
    app.log.warn({ root }, 'the web console is not built; GET / answers 503 until `npm run build:web` runs');
    app.get('/', { schema: { hide: true } }, async (request, reply) =>
      reply.status(503).type('application/problem+json').send({ ...problem(503, 'the web console is not built: run `npm run build:web`'), instance: '/' }),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root,
    // Routes for the files present at start only, so unknown paths still reach the API's 404.
    wildcard: false,
    cacheControl: false,
    setHeaders: (reply: FastifyReply, path: string) => {
      reply.header('x-content-type-options', 'nosniff');
      if (path.endsWith('.html')) {
        reply.header('cache-control', 'no-cache');
        reply.header('content-security-policy', policy);
        reply.header('referrer-policy', 'no-referrer');
      } else if (path.startsWith(assetsDir)) {
        // Vite names these by content hash: a changed file gets a new name.
        reply.header('cache-control', 'public, max-age=31536000, immutable');
      } else {
        reply.header('cache-control', 'public, max-age=3600');
      }
    },
  });
}
