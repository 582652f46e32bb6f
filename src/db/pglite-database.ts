// The embedded backend: PGlite (PostgreSQL in WASM) persisted in one directory, one connection.
// Only one process may open a directory at a time; it never shares one with another process.
import { mkdir } from 'node:fs/promises';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { fromPglite } from 'pg-boss';
import type { Database, Queryable, Row } from './database.js';
import { assertChannelName } from './channel-name.js';
import { typeParsers } from './type-parsers.js';
import { succeedsWithin } from './succeeds-within.js';

type PgliteSession = Pick<Transaction, 'query' | 'exec'>;

function queryable(session: PgliteSession): Queryable {
  return {
    async query<T extends Row>(text: string, params?: unknown[]) {
      if (params?.length) return (await session.query<T>(text, params)).rows;
      const results = await session.exec(text);
      return (results.at(-1)?.rows ?? []) as T[];
    },
  };
}

export async function openPgliteDatabase(dir: string): Promise<Database> {
  await mkdir(dir, { recursive: true });
  const pglite = await PGlite.create(dir, { parsers: typeParsers });
  const jobDb = fromPglite(pglite);
  return {
    kind: 'pglite',
    ...queryable(pglite),
    transaction: (work) => pglite.transaction((tx) => work(queryable(tx))),
    async listen(channel, onPayload) {
      assertChannelName(channel);
      const unlisten = await pglite.listen(channel, onPayload);
      return () => unlisten();
    },
    jobEngineConnection: () => ({ backend: 'pglite', db: jobDb }),
    ping: (timeoutMs) => succeedsWithin(pglite.query('SELECT 1'), timeoutMs),
    async close() {
      if (!pglite.closed) await pglite.close();
    },
  };
}
