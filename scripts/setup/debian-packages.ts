// Installs the Debian packages the project runs (ffmpeg; chromium for the browser tests; the
// PostgreSQL server for the cluster and its tests) when their commands are missing: with apt-get
// when root, otherwise it says what to install.
// It never installs anything that is already on PATH.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, SetupError, step } from './run-command.js';
import { POSTGRES_COMMANDS, postgresBinDir } from '../../src/local/postgres-binaries.js';

export type DebianTool = {
  commands: string[];
  packageName: string;
  purpose: string;
  /** Where the package keeps its commands when not on PATH (undefined when it is not installed). */
  commandDir?: () => string | undefined;
};

export const FFMPEG: DebianTool = { commands: ['ffmpeg', 'ffprobe'], packageName: 'ffmpeg', purpose: 'the thumbnailer' };
export const CHROMIUM: DebianTool = { commands: ['chromium'], packageName: 'chromium', purpose: 'the browser tests' };
/** Debian's server binaries live in /usr/lib/postgresql/<major>/bin, off PATH. */
export const POSTGRESQL: DebianTool = { commands: POSTGRES_COMMANDS, packageName: 'postgresql', purpose: 'the cluster launcher and the PostgreSQL tests', commandDir: postgresBinDir };

async function onPath(command: string): Promise<boolean> {
  return (await runCommand('which', [command])).code === 0;
}

export async function debianToolReady(tool: DebianTool): Promise<boolean> {
  const dir = tool.commandDir?.();
  for (const command of tool.commands) if (!(dir && existsSync(join(dir, command))) && !(await onPath(command))) return false;
  return true;
}

let aptUpdated = false;

export async function ensureDebianTool(tool: DebianTool): Promise<void> {
  if (await debianToolReady(tool)) {
    step(`${tool.commands.join(' and ')}: on PATH`);
    return;
  }
  if (process.getuid?.() !== 0 || !(await onPath('apt-get'))) {
    throw new SetupError(`${tool.commands.join(' and ')} (for ${tool.purpose}) not found: install the "${tool.packageName}" package and run \`npm run setup\` again.`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    step('apt-get update');
    const update = await runCommand('apt-get', ['update', '-qq'], { env });
    if (update.code !== 0) throw new SetupError(`apt-get update failed:\n${update.stderr.slice(-2000)}`);
    aptUpdated = true;
  }
  step(`apt-get install -y ${tool.packageName} (for ${tool.purpose})`);
  const install = await runCommand('apt-get', ['install', '-y', '-qq', tool.packageName], { env });
  if (install.code !== 0) throw new SetupError(`apt-get install ${tool.packageName} failed:\n${install.stderr.slice(-2000)}`);
  if (!(await debianToolReady(tool))) throw new SetupError(`${tool.packageName} installed but ${tool.commands.join('/')} still not found`);
}
