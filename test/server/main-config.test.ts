// `npm start` with a bad configuration stops at once with a message naming the variable, exit 1.
import t from 'tap';
import { tempDir } from '../helpers/local-store.js';
import { startMain } from '../helpers/main-process.js';

t.test('a bad value stops the process with a clear message', async (t) => {
  const dataDir = await tempDir(t);
  const main = await startMain(t, { THUMBFORGE_DATA_DIR: dataDir, PORT: 'eighty', THUMBFORGE_URL_TTL_SECONDS: '5' }, { inheritEnv: false });
  const code = await main.exited;
  const output = main.output();
  t.equal(code, 1);
  t.match(output, /invalid configuration/);
  t.match(output, /PORT/);
  t.match(output, /THUMBFORGE_URL_TTL_SECONDS/);
  t.notMatch(output, /\n\s+at /, 'no stack trace');
});
