// Starts thumbforge: validates the configuration, starts the service on the chosen target and
// stops it cleanly on SIGINT/SIGTERM (object store stopped, no orphan processes, exit 0).
// It prints the admin token once, when it was just generated, and never logs it. It refuses to
// start on a Node.js older than the pinned runtime, before loading anything that needs it.
import { ConfigError, loadConfig } from './config.js';
import { unsupportedRuntime } from './domain/toolchain.js';

async function main(): Promise<void> {
  const refused = unsupportedRuntime();
  if (refused) throw new ConfigError(refused);
  const config = loadConfig();
  const { startService } = await import('./service.js');
  const service = await startService(config);
  console.log(`thumbforge listening on ${service.url} (node ${process.version}, target: ${config.target}, data: ${config.dataDir})`);
  if (service.adminTokenCreated) {
    console.log(`admin token (generated now, shown once, kept in ${config.dataDir}/secrets): ${service.adminToken}`);
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    service.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('shutdown failed:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
