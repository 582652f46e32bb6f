// Both Dockerfiles pass hadolint (pinned, from PyPI, installed by the setup step) with no finding
// at any level, and without a config that switches rules off.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot, pythonToolPath } from '../../src/domain/toolchain.js';

const run = promisify(execFile);
const hadolint = pythonToolPath('hadolint');

t.test('no hadolint config switches rules off', async (t) => {
  t.notOk(existsSync(join(projectRoot, '.hadolint.yaml')), 'every rule applies');
});

for (const dockerfile of ['Dockerfile', 'src/lambda-image/Dockerfile']) {
  t.test(`${dockerfile} has no hadolint finding`, async (t) => {
    t.ok(existsSync(hadolint), `hadolint is installed (${hadolint}); run npm run setup`);
    const result = await run(hadolint, ['--no-color', '--failure-threshold', 'style', dockerfile], { cwd: projectRoot }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code?: number; stdout?: string }) => ({ code: error.code, stdout: error.stdout ?? '' }),
    );
    t.equal(result.stdout.trim(), '', 'no finding');
    t.equal(result.code, 0);
  });
}
