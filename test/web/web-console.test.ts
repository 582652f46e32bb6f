// The web-console plugin serves the built console at GET / with the right headers, stays out of
// the OpenAPI document and the API's 404s, and says how to build the console when it is missing.
import t, { type Test } from 'tap';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify from 'fastify';
import problemErrors from '../../src/server/plugins/problem-errors.js';
import openapi from '../../src/server/plugins/openapi.js';
import webConsole from '../../src/server/plugins/web-console.js';
import { tempDir } from '../helpers/local-store.js';

async function consoleApp(t: Test, root: string) {
  const app = Fastify({ logger: false });
  await app.register(problemErrors);
  await app.register(openapi);
  await app.register(webConsole, { root });
  await app.ready();
  t.teardown(() => app.close());
  return app;
}

t.test('serves a built console', async (t) => {
  const root = await tempDir(t);
  await mkdir(join(root, 'assets'));
  await writeFile(join(root, 'index.html'), '<!doctype html><title>console</title>');
  await writeFile(join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
  const app = await consoleApp(t, root);

  const page = await app.inject({ method: 'GET', url: '/' });
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  t.match(page.body, '<title>console</title>');
  t.equal(page.headers['cache-control'], 'no-cache', 'the page is revalidated, so a new build shows at once');
  t.match(page.headers['content-security-policy'], "script-src 'self'");

  const script = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
  t.equal(script.statusCode, 200);
  t.match(script.headers['content-type'], /javascript/);
  t.match(script.headers['cache-control'], 'immutable', 'hashed assets are cached for good');

  const unknown = await app.inject({ method: 'GET', url: '/tenants-typo' });
  t.equal(unknown.statusCode, 404);
  t.match(unknown.headers['content-type'], 'application/problem+json', 'unknown paths still get the API 404');

  const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths?: Record<string, unknown> };
  t.same(Object.keys(document.paths ?? {}).filter((path) => path === '/' || path.startsWith('/assets')), [], 'no OpenAPI entry');
});

t.test('answers 503 with the build command when the console is not built', async (t) => {
  const app = await consoleApp(t, join(await tempDir(t), 'missing'));
  const page = await app.inject({ method: 'GET', url: '/' });
  t.equal(page.statusCode, 503);
  t.match(page.headers['content-type'], 'application/problem+json');
  t.match(page.json(), { status: 503, detail: /npm run build:web/ });
});
