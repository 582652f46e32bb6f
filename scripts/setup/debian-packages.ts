// Installs the Debian packages the project runs (ffmpeg; chromium for the browser tests) when
// their commands are missing: with apt-get when root, otherwise it says what to install.
// It never installs anything that is already on PATH.
import { runCommand, SetupError, step } from './run-command.js';

export type DebianTool = { commands: string[]; packageName: string; purpose: string };

export const FFMPEG: DebianTool = { commands: ['ffmpeg', 'ffprobe'], packageName: 'ffmpeg', purpose: 'the thumbnailer' };
export const CHROMIUM: DebianTool = { commands: ['chromium'], packageName: 'chromium', purpose: 'the browser tests' };

async function onPath(command: string): Promise<boolean> {
  return (await runCommand('which', [command])).code === 0;
}

export async function debianToolReady(tool: DebianTool): Promise<boolean> {
  for (const command of tool.commands) if (!(await onPath(command))) return false;
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
  if (!(await debianToolReady(tool))) throw new SetupError(`${tool.packageName} installed but ${tool.commands.join('/')} still not on PATH`);
}
