// The setup step: makes every outside tool the service and the tests need present, idempotently,
// printing each step. `--if-needed` only checks, and does the work when something is missing.
// It never writes into the checkout beyond the provider launcher, nor guesses past a clear error.
import { ensurePulumiCli, ensureProviderLauncher, launcherReady, pulumiCliReady } from './setup/pulumi-cli.js';
import { ensureVersitygw, versitygwReady } from './setup/versitygw.js';
import { CHROMIUM, debianToolReady, ensureDebianTool, FFMPEG } from './setup/debian-packages.js';
import { SetupError, step } from './setup/run-command.js';

const args = new Set(process.argv.slice(2));
const ifNeeded = args.has('--if-needed');
const tools = args.has('--for-tests') || !ifNeeded ? [FFMPEG, CHROMIUM] : [FFMPEG];

async function everythingReady(): Promise<boolean> {
  if (!launcherReady() || !versitygwReady()) return false;
  for (const tool of tools) if (!(await debianToolReady(tool))) return false;
  return pulumiCliReady();
}

async function main(): Promise<void> {
  if (ifNeeded && (await everythingReady())) return;
  const started = Date.now();
  await ensurePulumiCli();
  await ensureProviderLauncher();
  await ensureVersitygw();
  for (const tool of tools) await ensureDebianTool(tool);
  step(`ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

main().catch((error: unknown) => {
  console.error(`[setup] failed: ${error instanceof SetupError ? error.message : String((error as Error).stack ?? error)}`);
  process.exit(1);
});
