// Pulumi's modules load when the first engine run needs them, not when a replica starts: the
// service's whole module graph is imported here with a resolve hook watching for @pulumi.
import t from 'tap';
import { registerHooks } from 'node:module';

const resolved: string[] = [];
registerHooks({
  resolve(specifier, context, nextResolve) {
    const result = nextResolve(specifier, context);
    resolved.push(result.url);
    return result;
  },
});

t.test('importing the service loads no Pulumi module; the first engine call does', async (t) => {
  await import('../../src/service.js');
  t.ok(resolved.some((url) => url.includes('/src/stacks/tenant-stacks.')), 'the hook saw the stacks module load');
  t.same(resolved.filter((url) => url.includes('@pulumi')), [], 'no @pulumi module yet');

  const { automation } = await import('../../src/stacks/automation.js');
  await automation();
  t.ok(resolved.some((url) => url.includes('@pulumi/pulumi/automation')), 'automation() loads the Automation API');
});
