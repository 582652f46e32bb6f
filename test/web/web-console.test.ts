// The web-console plugin serves the built console at GET / with the right headers, stays out of
// the OpenAPI document and the API's 404s, and says how to build the console when it is missing.
import t, { type Test } from 'tap';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify from 'fastify';
import problemErrors from '../../src/server/plugins/problem-errors.js';
import openapi from '../../src/server/plugins/openapi.js';
import webConsole from '../../src/server/plugins/web-console.js';
import { linkOrigins } from '../../src/server/storage/url-signer.js';
import { tempDir } from '../helpers/local-store.js';

async function consoleApp(t: Test, root: string) {
  const app = Fastify({ logger: false });
  await app.register(problemErrors);
  await app.register(openapi);
  await app.register(webConsole, { root, storeOrigins: ['http://127.0.0.1:3001'] });
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
  t.match(page.headers['content-security-policy'], "connect-src 'self' http://127.0.0.1:3001;", "the page may fetch from the object store's origin only (upload parts, the storyboard index)");

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

t.test("the store's origins a page names: the local store's endpoint, or the region's S3 hosts in both addressing styles", async (t) => {
  t.same(linkOrigins({ endpoint: 'http://127.0.0.1:3001' }), ['http://127.0.0.1:3001']);
  t.same(linkOrigins({ region: 'eu-west-1' }), ['https://*.s3.eu-west-1.amazonaws.com', 'https://s3.eu-west-1.amazonaws.com']);
  t.same(linkOrigins({ region: 'cn-north-1' }), ['https://*.s3.cn-north-1.amazonaws.com.cn', 'https://s3.cn-north-1.amazonaws.com.cn']);
});

t.test('answers 503 with the build command when the console is not built', async (t) => {
  const app = await consoleApp(t, join(await tempDir(t), 'missing'));
  const page = await app.inject({ method: 'GET', url: '/' });
  t.equal(page.statusCode, 503);
  t.match(page.headers['content-type'], 'application/problem+json');
  t.match(page.json(), { status: 503, detail: /npm run build:web/ });
});
