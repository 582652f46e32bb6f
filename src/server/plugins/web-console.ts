// GET /: the browser console, the static files web/ is built into. It serves files only from
// that folder and never lists it; when the console has not been built, GET / says how to build it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import fastifyStatic from '@fastify/static';
import { problem } from './problem-errors.js';

export const WEB_CONSOLE_ROOT = fileURLToPath(new URL('../../../web/dist', import.meta.url));

export default fp(
  async function webConsole(app: FastifyInstance, options: { root?: string }) {
    const root = options.root ?? WEB_CONSOLE_ROOT;
    if (existsSync(root)) {
      await app.register(fastifyStatic, { root, prefix: '/', index: 'index.html', list: false, schemaHide: true });
      return;
    }
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.code(503).type('application/problem+json').send(problem(503, 'the web console is not built: run `npm run build:web`')),
    );
  },
  { name: 'web-console' },
);
