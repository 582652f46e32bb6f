// The service Dockerfile holds without a Docker engine: its pins match the project's, and in the built
// tree (`npm run build`, which `npm test` runs first) every path it copies and its entrypoint exist.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Env } from 'dockerfile-ast';
import { freePort } from '../../src/local/free-port.js';
import { COMPILED_MAIN, NODE_VERSION, projectRoot, PULUMI_CLI_VERSION, SERVICE_NODE_FLAGS } from '../../src/domain/toolchain.js';
import { argumentsOf, buildOutputsPresent, contextIgnore, copiesOf, keyword, readDockerfile, runScripts, type Stage } from '../helpers/dockerfile.js';

const run = promisify(execFile);
const { dockerfile, text, stages, stage, argDefault } = readDockerfile('Dockerfile');
const ignored = contextIgnore('.dockerignore');
const WORKDIR = '/app';
const BUILD_OUTPUTS = ['dist/main.js', 'web/dist/index.html'];

/** The stage and its ancestors, nearest last, so later ENV and USER lines win. */
function lineage(name: string): Stage[] {
  const chain: Stage[] = [];
  for (let current = stages.find((s) => s.name === name); current; current = stages.find((s) => s.name === current!.parent)) {
    chain.unshift(current);
  }
  return chain;
}

function envOf(stageName: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { instructions } of lineage(stageName)) {
    for (const instruction of instructions.filter((i): i is Env => i instanceof Env)) {
      for (const property of instruction.getProperties()) env[property.getName()] = property.getValue() ?? '';
    }
  }
  return env;
}

const finalStage = stages.at(-1)!;

t.test('the image is multi-stage on a pinned Node 24 slim base, never `latest`', async (t) => {
  const baseImages = dockerfile
    .getFROMs()
    .map((from) => from.getImage() ?? '')
    .filter((image) => !stages.some((s) => s.name === image))
    .map((image) => image.replace(/^\$\{(\w+)\}$/, (_, name: string) => argDefault(name) ?? image));
  t.same(baseImages, [`node:${NODE_VERSION.split('.')[0]}-bookworm-slim`], 'the major of the pinned runtime');
  for (const image of baseImages) t.notMatch(image, /:latest$|^[^:@]+$/, `${image} names a tag`);
  t.notMatch(text, /:latest\b/, 'no latest tag anywhere');
  t.ok(stages.length >= 3, 'build, dependency and runtime stages');
});

t.test('the pulumi CLI is the pinned version, verified against the release checksums', async (t) => {
  t.equal(argDefault('PULUMI_VERSION'), PULUMI_CLI_VERSION);
  const download = runScripts(stage('pulumi')).find((script) => script.includes('get.pulumi.com/releases/sdk/'));
  t.ok(download, 'the archive comes from the official release location');
  t.match(download, /https:\/\/get\.pulumi\.com\/releases\/sdk\/\$\{archive\}/);
  t.match(download, /pulumi-\$\{PULUMI_VERSION\}-checksums\.txt/);
  t.match(download, /sha256sum -c/, 'the archive is checked before it is unpacked');
  t.ok(download!.indexOf('sha256sum -c') < download!.indexOf('tar -xzf'), 'checked before extraction');
});

t.test('apt installs stay small and leave no package lists behind', async (t) => {
  const installs = stages.flatMap(runScripts).filter((script) => script.includes('apt-get install'));
  t.ok(installs.length > 0);
  for (const script of installs) {
    t.match(script, /--no-install-recommends/);
    t.match(script, /rm -rf \/var\/lib\/apt\/lists/);
  }
});

t.test('the runtime stage: tini as PID 1, non-root, healthcheck, aws defaults', async (t) => {
  const runtime = finalStage;
  const entrypoint = runtime.instructions.find(keyword('ENTRYPOINT'))!;
  t.same(JSON.parse(entrypoint.getArgumentsContent() ?? ''), ['/usr/bin/tini', '--', 'node', ...SERVICE_NODE_FLAGS, COMPILED_MAIN], 'the compiled service, with the flags npm start gives it');
  t.match(runScripts(runtime).join('\n'), /apt-get install[^\n]*\btini\b/);

  const user = runtime.instructions.filter(keyword('USER')).at(-1);
  t.ok(user, 'a USER is set');
  t.notMatch(argumentsOf(user!)[0] ?? '', /^(root|0)(:|$)/, 'and it is not root');

  const env = envOf(runtime.name);
  t.equal(env.THUMBFORGE_TARGET, 'aws');
  t.equal(env.HOST, '0.0.0.0');
  t.equal(env.PULUMI_SKIP_UPDATE_CHECK, 'true');
  t.match(env.PATH, /^\/opt\/pulumi\/bin:/, 'the CLI and the aws plugin are first on PATH');
});

t.test('the HEALTHCHECK command answers 0 for a healthy /healthz and 1 otherwise', async (t) => {
  const healthcheck = finalStage.instructions.find(keyword('HEALTHCHECK'))!;
  const command = JSON.parse((healthcheck.getArgumentsContent() ?? '').replace(/^.*?CMD\s+/s, '')) as string[];
  t.equal(command[0], 'node');
  let healthy = true;
  const server = createServer((request, response) => {
    response.statusCode = request.url === '/healthz' && healthy ? 200 : 503;
    response.end();
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const env = { PATH: process.env.PATH, PORT: String(port) };
  // The timeout only ends a check that hangs; a slow start on a loaded machine must not decide it.
  const healthcheckExit = () =>
    run(command[0]!, command.slice(1), { env, timeout: 120_000 }).then(
      () => 0,
      (error: { code?: number }) => error.code,
    );
  t.equal(await healthcheckExit(), 0, 'healthy');
  healthy = false;
  t.equal(await healthcheckExit(), 1, 'unhealthy');
  server.close();
  t.equal(await healthcheckExit(), 1, 'nothing listening');
});

t.test('.dockerignore keeps local state and outputs out of the build context', async (t) => {
  for (const path of ['.data', '.data/tenants.db', '.git', 'node_modules', 'dist/main.js', 'web/dist/index.html', '.thumbforge/bin/x', 'test-output', 'bench/results/a.md', '.env', 'test/docker/service-image.test.ts']) {
    t.ok(ignored.ignores(path), `${path} is left out`);
  }
});

t.test('in the built tree every copied path and the entrypoint exist', async (t) => {
  if (!buildOutputsPresent(t, BUILD_OUTPUTS)) return;
  const stageNames = new Set(stages.map((s) => s.name));

  for (const copy of dockerfile.getCOPYs()) {
    const from = copy.getFromFlag()?.getValue();
    const sources = argumentsOf(copy).slice(0, -1);
    for (const source of sources) {
      if (!from) {
        t.ok(existsSync(join(projectRoot, source)), `context path ${source} exists`);
        t.notOk(ignored.ignores(source), `context path ${source} is not excluded by .dockerignore`);
      } else if (source.startsWith(`${WORKDIR}/`)) {
        // The stages build in WORKDIR from the same sources, so the checkout after the build has the same files.
        const relative = source.slice(WORKDIR.length + 1);
        t.ok(stageNames.has(from), `stage ${from} exists`);
        t.ok(existsSync(join(projectRoot, relative)), `${source} from stage ${from} exists (${relative})`);
      } else {
        const made = runScripts(stage(from)).some((script) => script.includes(source));
        t.ok(made, `${source} is made by a RUN in stage ${from}`);
      }
    }
  }

  const script = JSON.parse(finalStage.instructions.find(keyword('ENTRYPOINT'))!.getArgumentsContent() ?? '').at(-1) as string;
  t.ok(existsSync(join(projectRoot, script)), `the entrypoint ${script} exists`);
  const copiedDirs = copiesOf(finalStage).map((copy) => argumentsOf(copy).at(-1)?.replace(/^\.\//, ''));
  t.ok(copiedDirs.includes(script.split('/')[0]), `${script} is inside a folder the runtime stage copies`);
});

t.test('the built entrypoint loads and stops with a clear message when aws settings are missing', async (t) => {
  // A missing import in the compiled tree fails here.
  if (!buildOutputsPresent(t, BUILD_OUTPUTS)) return;
  const result = await run(process.execPath, ['dist/main.js'], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH, THUMBFORGE_TARGET: 'aws' },
    timeout: 180_000, // a hang, never a slow start, ends it
  }).then(
    () => ({ code: 0, stderr: '' }),
    (error: { code?: number; stderr?: string }) => ({ code: error.code, stderr: error.stderr ?? '' }),
  );
  t.equal(result.code, 1);
  for (const variable of ['AWS_REGION', 'PULUMI_BACKEND_URL', 'THUMBFORGE_ADMIN_TOKEN', 'PULUMI_CONFIG_PASSPHRASE', 'THUMBFORGE_DATABASE_URL', 'THUMBFORGE_WEBHOOK_SECRET_KEY', 'THUMBFORGE_EVENTS_QUEUE_URL']) {
    t.match(result.stderr, variable, `names ${variable}`);
  }
});
