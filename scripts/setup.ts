// The setup step: makes every outside tool the service and the tests need present, idempotently,
// printing each step. `--if-needed` only checks, and does the work when something is missing.
// It never writes into the checkout beyond the provider launcher, nor guesses past a clear error.
import { ensurePulumiCli, ensureProviderLauncher, launcherReady, pulumiCliReady } from './setup/pulumi-cli.js';
import { ensureVersitygw, versitygwReady } from './setup/versitygw.js';
import { CHROMIUM, debianToolReady, ensureDebianTool, FFMPEG, POSTGRESQL } from './setup/debian-packages.js';
import { ensurePythonTools, pythonToolsReady } from './setup/python-tools.js';
import { SetupError, step } from './setup/run-command.js';
import { unsupportedRuntime } from '../src/domain/toolchain.js';

const args = new Set(process.argv.slice(2));
const ifNeeded = args.has('--if-needed');
const forTests = args.has('--for-tests') || !ifNeeded;
// PostgreSQL for the scale-out shape (`npm run cluster`) and the tests that run it.
const tools = forTests ? [FFMPEG, CHROMIUM, POSTGRESQL] : [FFMPEG, POSTGRESQL];

async function everythingReady(): Promise<boolean> {
  if (!launcherReady() || !versitygwReady()) return false;
  for (const tool of tools) if (!(await debianToolReady(tool))) return false;
  if (forTests && !pythonToolsReady()) return false;
  return pulumiCliReady();
}

/** Runs one part of the setup and says how long it took. */
async function timed(what: string, work: () => Promise<void>): Promise<void> {
  const started = Date.now();
  await work();
  step(`${what}: ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

async function main(): Promise<void> {
  const refused = unsupportedRuntime();
  if (refused) throw new SetupError(refused);
  if (ifNeeded && (await everythingReady())) return;
  const started = Date.now();
  step(`running on Node.js ${process.versions.node} (${process.execPath})`);
  await timed('pulumi CLI', ensurePulumiCli);
  await ensureProviderLauncher();
  await timed('versitygw', ensureVersitygw);
  for (const tool of tools) await timed(tool.packageName, () => ensureDebianTool(tool));
  if (forTests) await timed('python test tools', ensurePythonTools);
  step(`ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

main().catch((error: unknown) => {
  console.error(`[setup] failed: ${error instanceof SetupError ? error.message : String((error as Error).stack ?? error)}`);
  process.exit(1);
});
