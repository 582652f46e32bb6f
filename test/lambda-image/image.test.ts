// The thumbnailer's Lambda image holds together without a Docker engine: pinned bases and ffmpeg
// (checksum checked before unpacking), and in the built tree (`npm run build`, which `npm test` runs
// first) every copied path and the CMD handler exist, the copied files alone load the handler, and
// its runtime manifest lists its imports.
import t from 'tap';
import { execFile } from 'node:child_process';
import { cp, readdir, readFile, symlink } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NODE_VERSION, projectRoot } from '../../src/domain/toolchain.js';
import { argumentsOf, buildOutputsPresent, contextIgnore, copiesOf, keyword, readDockerfile, runScripts } from '../helpers/dockerfile.js';
import { tempDir } from '../helpers/local-store.js';

const run = promisify(execFile);
const imageDir = join(projectRoot, 'src/lambda-image');
const { dockerfile, text, stages, stage, argDefault } = readDockerfile('src/lambda-image/Dockerfile');
// BuildKit reads <Dockerfile>.dockerignore beside the Dockerfile instead of the context's .dockerignore.
const ignored = contextIgnore('src/lambda-image/Dockerfile.dockerignore');
const manifest = JSON.parse(readFileSync(join(imageDir, 'package.json'), 'utf8')) as { type: string; dependencies: Record<string, string> };
const TASK_ROOT = '${LAMBDA_TASK_ROOT}';
/** What the final stage copies from the compiled tree. */
const BUILD_OUTPUTS = ['dist/lambda-image/handler.js', 'dist/domain'];

const finalStage = stages.at(-1)!;
const handlerSpec = () => JSON.parse(finalStage.instructions.find(keyword('CMD'))!.getArgumentsContent() ?? '[]')[0] as string;

t.test('the image runs on the Lambda Node.js base of the pinned runtime, with no AWS CLI', async (t) => {
  t.equal(finalStage.parent, `public.ecr.aws/lambda/nodejs:${NODE_VERSION.split('.')[0]}`);
  for (const { parent } of stages) t.notMatch(parent, /:latest$|^[^:@]+$/, `${parent} names a tag`);
  t.notMatch(text, /aws-?cli|awscli/i);
});

t.test('ffmpeg and ffprobe come from a pinned static build whose checksum is checked before unpacking', async (t) => {
  const ffmpeg = stage('ffmpeg');
  t.match(argDefault('FFMPEG_VERSION'), /^\d+\.\d+(\.\d+)?$/);
  for (const arch of ['AMD64', 'ARM64']) t.match(argDefault(`FFMPEG_SHA256_${arch}`), /^[0-9a-f]{64}$/, `${arch} archive pinned`);
  const script = runScripts(ffmpeg).find((content) => content.includes('sha256sum -c'))!;
  t.ok(script, 'the archive is verified');
  t.ok(script.indexOf('sha256sum -c') < script.indexOf('tar -x'), 'verified before it is unpacked');
  const copy = copiesOf(finalStage).find((instruction) => instruction.getFromFlag()?.getValue() === 'ffmpeg')!;
  t.same(argumentsOf(copy).slice(0, -1), ['/out/ffmpeg', '/out/ffprobe']);
  t.match(script, /cp [^\n]*ffmpeg[^\n]*ffprobe[^\n]* \/out\//, 'the stage puts both binaries where they are copied from');
  const checks = runScripts(ffmpeg).join('\n');
  t.match(checks, /muxers="\$\(\/out\/ffmpeg -hide_banner -muxers\)"/);
  t.match(checks, /grep -qE '\^ \+E \+avif ' <<<"\$\{muxers\}"/, 'the build fails unless the ffmpeg has the avif muxer');
  const listed = (kind: string) => new RegExp(`for ${kind} in ([^;]+); do`).exec(checks)?.[1]?.trim().split(/\s+/) ?? [];
  t.same(listed('encoder'), ['libaom-av1', 'libwebp_anim'], 'the libaom AV1 and animated WebP encoders');
  t.same(listed('filter'), ['signalstats', 'blurdetect', 'zscale', 'tonemap', 'tile'], 'the filters for scoring, tone mapping and sheets');
  t.notMatch(checks, /ffmpeg[^\n;]*\| *grep -q/, 'never `ffmpeg … | grep -q`: under pipefail its SIGPIPE fails the build');
});

t.test('in the built tree every copied path and the CMD handler exist, and the copied files load the handler', async (t) => {
  if (!buildOutputsPresent(t, BUILD_OUTPUTS)) return;
  const taskRoot = await tempDir(t, 'thumbforge-task-root-');
  for (const copy of dockerfile.getCOPYs()) {
    if (copy.getFromFlag()) continue;
    const [source, destination] = argumentsOf(copy) as [string, string];
    t.ok(existsSync(join(projectRoot, source)), `context path ${source} exists`);
    t.notOk(ignored.ignores(source), `${source} is not excluded from the context`);
    // Lay the task root out as the final stage will.
    if (finalStage.instructions.includes(copy) && destination.startsWith(TASK_ROOT)) {
      await cp(join(projectRoot, source), join(taskRoot, destination.slice(TASK_ROOT.length)), { recursive: true });
    }
  }
  const [file, exported] = [handlerSpec().slice(0, handlerSpec().lastIndexOf('.')), handlerSpec().split('.').at(-1)!];
  t.ok(existsSync(join(taskRoot, `${file}.js`)), `the CMD handler ${file}.js is in the task root`);
  t.equal(manifest.type, 'module', 'the task root package.json makes the .js files ES modules');

  // The project's node_modules stand in for the image's (which only holds the manifest's packages, checked below).
  await symlink(join(projectRoot, 'node_modules'), join(taskRoot, 'node_modules'));
  const event = { Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'bucket' }, object: { key: 'thumbnails/not-a-video.jpg' } } }] };
  const script = `const m = await import(${JSON.stringify(join(taskRoot, `${file}.js`))}); console.log('RESULT ' + JSON.stringify(await m.${exported}(${JSON.stringify(event)})));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: taskRoot,
    env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', THUMBNAIL_WIDTHS: '320', THUMBNAIL_FORMAT: 'jpeg', THUMBNAIL_AT: '10%' },
    timeout: 180_000, // a hang, never a slow start, ends it
  });
  const result = JSON.parse(stdout.split('\n').find((line) => line.startsWith('RESULT '))!.slice('RESULT '.length));
  t.match(result, { records: [{ outcome: 'skipped', key: 'thumbnails/not-a-video.jpg' }] }, 'the handler runs from the copied files');
});

t.test('the runtime manifest lists every package the copied code imports, at the project’s versions', async (t) => {
  if (!buildOutputsPresent(t, BUILD_OUTPUTS)) return;
  const imported = new Set<string>();
  for (const folder of ['dist/lambda-image', 'dist/domain']) {
    for (const name of (await readdir(join(projectRoot, folder), { recursive: true })).filter((entry) => entry.endsWith('.js'))) {
      const code = await readFile(join(projectRoot, folder, name), 'utf8');
      for (const [, specifier] of code.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        if (specifier!.startsWith('.') || specifier!.startsWith('node:')) continue;
        imported.add(specifier!.startsWith('@') ? specifier!.split('/').slice(0, 2).join('/') : specifier!.split('/')[0]!);
      }
    }
  }
  t.same([...imported].sort(), Object.keys(manifest.dependencies).sort(), 'imports and manifest agree');
  const lock = JSON.parse(await readFile(join(imageDir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; dependencies?: Record<string, string> }> };
  t.same(lock.packages['']!.dependencies, manifest.dependencies, 'the lockfile belongs to this manifest');
  for (const [name, version] of Object.entries(manifest.dependencies)) {
    const installed = JSON.parse(await readFile(join(projectRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
    t.equal(version, installed.version, `${name} matches the project's installed version`);
    t.equal(lock.packages[`node_modules/${name}`]?.version, version, `${name} is locked at that version`);
  }
});
