// `npm start` with a bad configuration stops at once with a message naming the variable, exit 1.
import t from 'tap';
import { spawn } from 'node:child_process';
import { projectRoot } from '../../src/local/tools.js';
import { tempDir } from '../helpers/local-store.js';

t.test('a bad value stops the process with a clear message', async (t) => {
  const dataDir = await tempDir(t);
  const child = spawn(process.execPath, ['--import=tsx', 'src/main.ts'], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH, THUMBFORGE_DATA_DIR: dataDir, PORT: 'eighty', THUMBFORGE_URL_TTL_SECONDS: '5' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.equal(code, 1);
  t.match(output, /invalid configuration/);
  t.match(output, /PORT/);
  t.match(output, /THUMBFORGE_URL_TTL_SECONDS/);
  t.notMatch(output, /\n\s+at /, 'no stack trace');
});
