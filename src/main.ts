// Starts thumbforge: validates the configuration, starts the service on the chosen target and
// stops it cleanly on SIGINT/SIGTERM (object store stopped, no orphan processes, exit 0).
import { ConfigError, loadConfig } from './config.js';
import { buildApp } from './server/app.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await buildApp({ config });
  await app.listen({ host: config.host, port: config.port });
  console.log(`thumbforge listening on http://${config.host}:${config.port}`);
  const stop = async (signal: string) => {
    app.log.info({ signal }, 'shutting down');
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
