// How every Automation API workspace of thumbforge is configured for a target: the pinned CLI,
// the backend, the secrets provider, a fixed work dir per project and the engine's environment.
// Secrets travel by environment only, never on a command line.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PulumiCommand, type LocalWorkspaceOptions } from '@pulumi/pulumi/automation/index.js';
import { pulumiEngineEnv, toolsDir } from '../domain/toolchain.js';
import { localCloudEnv } from './local-cloud-actions.js';
import { ENGINE_STACK_ENV } from './engine-processes.js';
import { backendUrl, engineDirs, type TenantTarget } from './tenant-target.js';

export type EngineWorkspace = {
  /**
   * The options for LocalWorkspace calls on one stack (its CLI runs carry the stack's tag, so an
   * aborted call's processes can be found); creates the engine's dirs and finds the CLI once.
   */
  options(stackName: string): Promise<LocalWorkspaceOptions>;
};

export function createEngineWorkspace(deps: { target: TenantTarget; dataDir: string; projectName: string }): EngineWorkspace {
  const { target, dataDir, projectName } = deps;
  const dirs = engineDirs(dataDir);
  // One work dir per project, kept across starts: it holds the stack settings (the passphrase salt).
  const workDir = join(dirs.projectsDir, projectName);
  const backend = backendUrl(target, dataDir);
  const envVars: Record<string, string> = {
    ...pulumiEngineEnv(dirs.pulumiHome),
    PULUMI_BACKEND_URL: backend,
    ...(target.passphrase ? { PULUMI_CONFIG_PASSPHRASE: target.passphrase } : {}),
    // The local program needs no plugin download (dynamic providers only), and this machine may be
    // offline; on aws the engine may fetch the aws plugin when the image does not bundle it.
    ...(target.kind === 'local'
      ? { ...localCloudEnv({ dataDir, connection: target.connection }), PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true' }
      : { AWS_REGION: target.region }),
  };
  let ready: Promise<LocalWorkspaceOptions> | undefined;
  return {
    async options(stackName) {
      ready ??= (async () => {
        await Promise.all([workDir, dirs.pulumiHome, ...(target.kind === 'local' ? [dirs.stateDir] : [])].map((dir) => mkdir(dir, { recursive: true })));
        return {
          pulumiCommand: await PulumiCommand.get({ root: toolsDir() }),
          workDir,
          pulumiHome: dirs.pulumiHome,
          envVars,
          secretsProvider: target.kind === 'local' ? 'passphrase' : target.secretsProvider,
          projectSettings: { name: projectName, runtime: 'nodejs', backend: { url: backend } },
        };
      })();
      const options = await ready;
      return { ...options, envVars: { ...options.envVars, [ENGINE_STACK_ENV]: stackName } };
    },
  };
}
