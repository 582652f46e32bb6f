// Test fixture: a real PostgreSQL server from the machine's binaries in a temp dir, on a free
// loopback port, for one test; stopped and its dir removed at that test's teardown.
import type { Test } from 'tap';
import { startPostgresServer, type PostgresServer } from '../../src/local/postgres-server.js';
import { tempDir } from './local-store.js';

export async function startTestPostgres(t: Test): Promise<PostgresServer> {
  const dir = await tempDir(t, 'thumbforge-pg-');
  const server = await startPostgresServer({ dir });
  // Teardowns run last-registered first: the server stops before its dir is removed.
  t.teardown(() => server.stop());
  return server;
}
