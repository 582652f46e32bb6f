// How every Automation API workspace of thumbforge is configured for a target: the pinned CLI,
// the backend, the secrets provider, the engine's environment, and a work dir the caller names
// (a temporary one per tenant operation, holding the stack settings the caller passes in).
// Secrets travel by environment only, never on a command line.
import { mkdir } from 'node:fs/promises';
import type { LocalWorkspaceOptions, PulumiCommand, StackSettings } from '@pulumi/pulumi/automation/index.js';
import { automation } from './automation.js';
import { pulumiEngineEnv, toolsDir } from '../domain/toolchain.js';
import { localCloudEnv } from './local-cloud-actions.js';
import { ENGINE_STACK_ENV } from './engine-processes.js';
import { backendUrl, engineDirs, type TenantTarget } from './tenant-target.js';

export type EngineWorkspace = {
  /**
   * The options for LocalWorkspace calls on one stack in `workDir` (its CLI runs carry the stack's
   * tag, so an aborted call's processes can be found), with the stack's settings file written there.
   */
  options(stackName: string, workDir: string, stackSettings?: StackSettings): Promise<LocalWorkspaceOptions>;
  /** The engine's environment, for CLI runs the Automation API has no call for. */
  envVars(stackName: string): Record<string, string>;
};

/** `dataDir` holds what every replica shares (the local backend); `scratchDir` is this replica's own. */
export function createEngineWorkspace(deps: { target: TenantTarget; dataDir: string; scratchDir: string; projectName: string }): EngineWorkspace {
  const { target, dataDir, projectName } = deps;
  const dirs = engineDirs(dataDir, deps.scratchDir);
  const backend = backendUrl(target, dataDir);
  const baseEnv: Record<string, string> = {
    ...pulumiEngineEnv(dirs.pulumiHome),
    PULUMI_BACKEND_URL: backend,
    ...(target.passphrase ? { PULUMI_CONFIG_PASSPHRASE: target.passphrase } : {}),
    // The local program needs no plugin download (dynamic providers only), and this machine may be
    // offline; on aws the engine may fetch the aws plugin when the image does not bundle it.
    ...(target.kind === 'local'
      ? { ...localCloudEnv({ dataDir, connection: target.connection }), PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true' }
      : { AWS_REGION: target.region }),
  };
  const envVars = (stackName: string) => ({ ...baseEnv, [ENGINE_STACK_ENV]: stackName });
  let command: Promise<PulumiCommand> | undefined;
  return {
    envVars,
    async options(stackName, workDir, stackSettings) {
      await Promise.all([workDir, dirs.pulumiHome, ...(target.kind === 'local' ? [dirs.stateDir] : [])].map((dir) => mkdir(dir, { recursive: true })));
      command ??= automation().then(({ PulumiCommand }) => PulumiCommand.get({ root: toolsDir() }));
      return {
        pulumiCommand: await command,
        workDir,
        pulumiHome: dirs.pulumiHome,
        envVars: envVars(stackName),
        secretsProvider: target.kind === 'local' ? 'passphrase' : target.secretsProvider,
        projectSettings: { name: projectName, runtime: 'nodejs', backend: { url: backend } },
        ...(stackSettings ? { stackSettings: { [stackName]: stackSettings } } : {}),
      };
    },
  };
}
