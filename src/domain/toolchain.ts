// The pinned toolchain, a fact the stacks, the local cloud and the setup step share: which versions
// are pinned, where the tools cache lives (outside the checkout, so clones and CI reuse one build)
// and the environment every engine call runs with. Never write into the cache at run time.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PULUMI_CLI_VERSION = '3.248.0';
export const VERSITYGW_VERSION = 'v1.8.0';

export const projectRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export function toolsDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.THUMBFORGE_TOOLS_DIR ?? join(homedir(), '.cache', 'thumbforge', 'tools'));
}

export function toolsBinDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(toolsDir(env), 'bin');
}

/** Project-local, because the launcher names this checkout's own dynamic-provider by path. */
export const launcherBinDir = join(projectRoot, '.thumbforge', 'bin');

export const PROVIDER_LAUNCHER_NAME = 'pulumi-resource-pulumi-nodejs';

export function versitygwPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(toolsBinDir(env), 'versitygw');
}

/**
 * The environment every engine call runs with: the pinned CLI and the provider launcher first
 * on PATH, no update check (there is nothing to check against offline), a private PULUMI_HOME.
 */
export function pulumiEngineEnv(pulumiHome: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return {
    PATH: [launcherBinDir, toolsBinDir(env), env.PATH ?? ''].join(':'),
    PULUMI_HOME: pulumiHome,
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    // The provider process runs on this machine's Node 20 on purpose (the pinned SDKs support it);
    // the SDK's notice about future releases would otherwise fill every operation's event log.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}
