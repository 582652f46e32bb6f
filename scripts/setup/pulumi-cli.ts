// Makes the pinned pulumi CLI available: on PATH, else the official installer, else a Go build
// from the module proxy into the tools cache. Never leaves a half-written binary behind.
import { mkdir, mkdtemp, rename, rm, writeFile, chmod } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { PulumiCommand } from '@pulumi/pulumi/automation/index.js';
import {
  launcherBinDir,
  projectRoot,
  PROVIDER_LAUNCHER_NAME,
  PULUMI_CLI_VERSION,
  toolsBinDir,
  toolsDir,
} from '../../src/domain/toolchain.js';
import { runCommand, SetupError, step } from './run-command.js';

const INSTALLER_TIMEOUT_MS = 30_000;

async function versionOf(binary: string): Promise<string | undefined> {
  const result = await runCommand(binary, ['version'], {
    timeoutMs: 20_000,
    env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: 'true' },
  });
  return result.code === 0 ? result.stdout.trim().replace(/^v/, '') : undefined;
}

async function findOnPath(): Promise<string | undefined> {
  const cached = join(toolsBinDir(), 'pulumi');
  if (existsSync(cached) && (await versionOf(cached)) === PULUMI_CLI_VERSION) return cached;
  const which = await runCommand('which', ['pulumi']);
  const onPath = which.stdout.trim();
  if (which.code === 0 && onPath && (await versionOf(onPath)) === PULUMI_CLI_VERSION) return onPath;
  return undefined;
}

async function tryOfficialInstaller(): Promise<boolean> {
  step(`trying the official pulumi installer (timeout ${INSTALLER_TIMEOUT_MS / 1000}s)`);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      PulumiCommand.install({ root: toolsDir() }),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), INSTALLER_TIMEOUT_MS);
      }),
    ]);
    return (await versionOf(join(toolsBinDir(), 'pulumi'))) === PULUMI_CLI_VERSION;
  } catch (error) {
    step(`official installer unavailable: ${(error as Error).message.split('\n')[0]}`);
    return false;
  } finally {
    clearTimeout(timer);
  }
}

// The same replace pulumi's own pkg/go.mod carries: without it the module graph does not resolve.
const BUILD_MODULE = `module thumbforge.local/pulumi-cli-build

go 1.25

require (
\tgithub.com/pulumi/pulumi/pkg/v3 v${PULUMI_CLI_VERSION}
\tgithub.com/pulumi/pulumi/sdk/v3 v${PULUMI_CLI_VERSION}
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
`;

const BUILD_IMPORTS = `//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
`;

async function buildWithGo(): Promise<void> {
  if ((await runCommand('go', ['version'])).code !== 0) {
    throw new SetupError(
      `pulumi CLI v${PULUMI_CLI_VERSION} is not installed and Go is not available to build it. ` +
        'Install the CLI (https://www.pulumi.com/docs/install/) or Go 1.25+, then run `npm run setup` again.',
    );
  }
  step(`building pulumi CLI v${PULUMI_CLI_VERSION} with Go from the module proxy (first time only; several minutes)`);
  const work = await mkdtemp(join(tmpdir(), 'thumbforge-pulumi-build-'));
  try {
    await writeFile(join(work, 'go.mod'), BUILD_MODULE);
    await writeFile(join(work, 'tools.go'), BUILD_IMPORTS);
    const env = { ...process.env, GOFLAGS: '-mod=mod' };
    const tidy = await runCommand('go', ['mod', 'tidy'], { cwd: work, env, echo: true });
    if (tidy.code !== 0) throw new SetupError(`go mod tidy failed for the pulumi CLI build:\n${tidy.stderr.slice(-2000)}`);
    await mkdir(toolsBinDir(), { recursive: true });
    const partial = join(toolsBinDir(), `pulumi.partial-${process.pid}`);
    const build = await runCommand(
      'go',
      [
        'build',
        '-o',
        partial,
        '-ldflags',
        `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${PULUMI_CLI_VERSION}`,
        'github.com/pulumi/pulumi/pkg/v3/cmd/pulumi',
      ],
      { cwd: work, env, echo: true },
    );
    if (build.code !== 0) throw new SetupError(`go build of the pulumi CLI failed:\n${build.stderr.slice(-2000)}`);
    await rename(partial, join(toolsBinDir(), 'pulumi'));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export async function pulumiCliReady(): Promise<boolean> {
  return (await findOnPath()) !== undefined;
}

export async function ensurePulumiCli(): Promise<void> {
  const found = await findOnPath();
  if (found) {
    step(`pulumi CLI v${PULUMI_CLI_VERSION}: ${found}`);
    return;
  }
  if (!(await tryOfficialInstaller())) await buildWithGo();
  const version = await versionOf(join(toolsBinDir(), 'pulumi'));
  if (version !== PULUMI_CLI_VERSION) {
    throw new SetupError(`the pulumi CLI in ${toolsBinDir()} reports "${version}", expected ${PULUMI_CLI_VERSION}`);
  }
  step(`pulumi CLI v${PULUMI_CLI_VERSION}: ${join(toolsBinDir(), 'pulumi')}`);
}

const launcherPath = join(launcherBinDir, PROVIDER_LAUNCHER_NAME);

// The engine starts the provider in the stack's work dir; the launcher moves to the project root
// so `import()` inside serialized provider methods resolves this project's node_modules, and
// loads tsx so those methods can import the project's TypeScript modules (src/stacks/local-cloud-actions.ts).
function launcherScript(): string {
  const provider = join(projectRoot, 'node_modules', '@pulumi', 'pulumi', 'cmd', 'dynamic-provider', 'index.js');
  return `#!/bin/sh\ncd '${projectRoot}' || exit 1\nexec '${process.execPath}' --import=tsx '${provider}' "$@"\n`;
}

export function launcherReady(): boolean {
  return existsSync(launcherPath) && readFileSync(launcherPath, 'utf8') === launcherScript();
}

export async function ensureProviderLauncher(): Promise<void> {
  await mkdir(launcherBinDir, { recursive: true });
  await writeFile(launcherPath, launcherScript());
  await chmod(launcherPath, 0o755);
  step(`dynamic provider launcher: ${launcherPath}`);
}
