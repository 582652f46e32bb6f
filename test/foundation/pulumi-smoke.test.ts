// The real engine works here: an inline program with one dynamic resource, run through
// LocalWorkspace with a file backend and a persisted work dir, using the pinned CLI.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { LocalWorkspace, PulumiCommand } from '@pulumi/pulumi/automation/index.js';
import { PULUMI_CLI_VERSION, pulumiEngineEnv, toolsDir } from '../../src/domain/toolchain.js';
import { tempDir } from '../helpers/local-store.js';

// The side effect is a file, so the test sees what the engine did without asking the engine.
const markerProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    const fs = await import('node:fs/promises');
    await fs.writeFile(inputs.path, inputs.content);
    return { id: inputs.path, outs: inputs };
  },
  async diff(_id, olds, news) {
    return { changes: olds.content !== news.content, replaces: olds.path !== news.path ? ['path'] : [] };
  },
  async update(_id, _olds, news) {
    const fs = await import('node:fs/promises');
    await fs.writeFile(news.path, news.content);
    return { outs: news };
  },
  async delete(id) {
    const fs = await import('node:fs/promises');
    await fs.rm(id, { force: true });
  },
};

class Marker extends pulumi.dynamic.Resource {
  constructor(name: string, args: { path: string; content: string }) {
    super(markerProvider, name, args);
  }
}

t.test('an inline program with a dynamic resource: up, up again, destroy', async (t) => {
  const dir = await tempDir(t, 'thumbforge-smoke-');
  const markerPath = join(dir, 'marker.txt');
  const workDir = join(dir, 'work');
  await mkdir(join(dir, 'state'), { recursive: true });
  await mkdir(workDir, { recursive: true });
  const pulumiCommand = await PulumiCommand.get({ root: toolsDir() });
  t.equal(pulumiCommand.version?.version, PULUMI_CLI_VERSION, 'the pinned CLI');

  const stack = await LocalWorkspace.createOrSelectStack(
    {
      projectName: 'thumbforge-smoke',
      stackName: 'smoke',
      program: async () => {
        const marker = new Marker('marker', { path: markerPath, content: 'made by pulumi' });
        return { path: marker.id };
      },
    },
    {
      workDir,
      pulumiCommand,
      projectSettings: { name: 'thumbforge-smoke', runtime: 'nodejs', backend: { url: `file://${join(dir, 'state')}` } },
      envVars: { ...pulumiEngineEnv(join(dir, 'home')), PULUMI_CONFIG_PASSPHRASE: 'smoke-test-passphrase' },
    },
  );

  const first = await stack.up({ signal: AbortSignal.timeout(240_000) });
  t.equal(first.summary.result, 'succeeded');
  t.equal(first.summary.resourceChanges?.create, 2, 'the stack and the marker are created');
  t.equal(first.outputs.path?.value, markerPath);
  t.equal(readFileSync(markerPath, 'utf8'), 'made by pulumi', 'the side effect is visible');

  const second = await stack.up({ signal: AbortSignal.timeout(240_000) });
  t.same(second.summary.resourceChanges, { same: 2 }, 'a second up changes nothing');

  const destroyed = await stack.destroy({ signal: AbortSignal.timeout(240_000) });
  t.equal(destroyed.summary.result, 'succeeded');
  t.equal(destroyed.summary.resourceChanges?.delete, 2);
  t.notOk(existsSync(markerPath), 'destroy removed the side effect');
  await stack.workspace.removeStack('smoke');
  t.same(await stack.workspace.listStacks(), [], 'the stack is gone from the backend');
});
