// Builds the pinned versitygw (the local object store) into the tools cache with `go install`.
// A stamp file records the tag, so a changed pin rebuilds and an unchanged one costs nothing.
// It never uses an unpinned version.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toolsBinDir, toolsDir, VERSITYGW_VERSION, versitygwPath } from '../../src/domain/toolchain.js';
import { runCommand, SetupError, step } from './run-command.js';

const stampPath = () => join(toolsDir(), 'versitygw.version');

export function versitygwReady(): boolean {
  return existsSync(versitygwPath()) && existsSync(stampPath()) && readFileSync(stampPath(), 'utf8').trim() === VERSITYGW_VERSION;
}

export async function ensureVersitygw(): Promise<void> {
  if (versitygwReady()) {
    step(`versitygw ${VERSITYGW_VERSION}: ${versitygwPath()}`);
    return;
  }
  if ((await runCommand('go', ['version'])).code !== 0) {
    throw new SetupError('versitygw (the local object store) must be built with Go 1.25+, and `go` is not on PATH.');
  }
  step(`building versitygw ${VERSITYGW_VERSION} with go install (first time only; about 2 minutes)`);
  await mkdir(toolsBinDir(), { recursive: true });
  const result = await runCommand('go', ['install', `github.com/versity/versitygw/cmd/versitygw@${VERSITYGW_VERSION}`], {
    env: { ...process.env, GOBIN: toolsBinDir(), GOFLAGS: '-mod=mod' },
    echo: true,
  });
  if (result.code !== 0) throw new SetupError(`go install of versitygw failed:\n${result.stderr.slice(-2000)}`);
  await writeFile(stampPath(), `${VERSITYGW_VERSION}\n`);
  step(`versitygw ${VERSITYGW_VERSION}: ${versitygwPath()}`);
}
