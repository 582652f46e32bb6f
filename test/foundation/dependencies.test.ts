// The Pulumi rules on dependencies: exactly one @pulumi/pulumi, at the pinned version, that
// @pulumi/aws and @pulumi/awsx resolve onto (two copies break inline programs).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { projectRoot } from '../../src/domain/toolchain.js';

type NpmTree = { version?: string; dependencies?: Record<string, NpmTree> };

function versionsOf(tree: NpmTree, name: string, found = new Set<string>()): Set<string> {
  for (const [dependency, child] of Object.entries(tree.dependencies ?? {})) {
    if (dependency === name && child.version) found.add(child.version);
    versionsOf(child, name, found);
  }
  return found;
}

t.test('npm ls shows a single @pulumi/pulumi at 3.248.0', async (t) => {
  const output = execFileSync('npm', ['ls', '@pulumi/pulumi', '--all', '--json'], { cwd: projectRoot, encoding: 'utf8' });
  const tree = JSON.parse(output) as NpmTree;
  t.same([...versionsOf(tree, '@pulumi/pulumi')], ['3.248.0']);
  t.ok(tree.dependencies?.['@pulumi/aws']?.dependencies?.['@pulumi/pulumi'], '@pulumi/aws depends on it');
  t.ok(tree.dependencies?.['@pulumi/awsx']?.dependencies?.['@pulumi/pulumi'], '@pulumi/awsx depends on it');
});

t.test('the setup step is idempotent: with everything present it does nothing', async (t) => {
  const output = execFileSync(process.execPath, ['--import=tsx', 'scripts/setup.ts', '--if-needed'], { cwd: projectRoot, encoding: 'utf8' });
  t.equal(output, '', 'no step had to run');
});
