// Test fixture: the two database backends a contract runs on, each as a way to open Databases on
// one fresh store (PGlite in a temp dir, or a database on a real PostgreSQL server). Every
// Database opened is closed at the test's teardown, before its store goes away.
import type { Test } from 'tap';
import { openDatabase, type Database, type DatabaseOptions } from '../../src/db/database.js';
import type { PostgresServer } from '../../src/local/postgres-server.js';
import { tempDir } from './local-store.js';
import { startTestPostgres } from './postgres.js';

export type TestStore = {
  options: DatabaseOptions;
  /** Only on postgres. */
  server?: PostgresServer;
  /** Opens a Database on this store (on PGlite, close the previous one first: one opener at a time). */
  open(): Promise<Database>;
};

export type TestBackend = { kind: Database['kind']; store(t: Test): Promise<TestStore> };

function storeOf(t: Test, options: DatabaseOptions, server?: PostgresServer): TestStore {
  return {
    options,
    server,
    async open() {
      const db = await openDatabase(options);
      t.teardown(() => db.close());
      return db;
    },
  };
}

export const testBackends: TestBackend[] = [
  { kind: 'pglite', store: async (t) => storeOf(t, { dataDir: await tempDir(t) }) },
  {
    kind: 'postgres',
    async store(t) {
      const server = await startTestPostgres(t);
      return storeOf(t, { url: server.url, dataDir: await tempDir(t), onConnectionError: () => {} }, server);
    },
  },
];
