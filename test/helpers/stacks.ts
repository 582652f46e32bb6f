// Test fixture for tenant stacks on the local target: a real versitygw, a temp data dir with its
// own PULUMI_HOME and file backend, a fixed test passphrase. Everything is removed by the test.
import type { Test } from 'tap';
import { startTestStore, tempDir } from './local-store.js';
import type { LocalTarget } from '../../src/stacks/tenant-target.js';

export const TEST_PASSPHRASE = 'thumbforge-test-passphrase';

export async function localTestTarget(t: Test) {
  const store = await startTestStore(t);
  const dataDir = await tempDir(t, 'thumbforge-stacks-');
  const target: LocalTarget = { kind: 'local', connection: store.connection, passphrase: TEST_PASSPHRASE };
  return { store, dataDir, target };
}
