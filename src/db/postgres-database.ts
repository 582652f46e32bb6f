// The server backend: a `pg` pool on a postgres:// URL, shared by every replica. A lost server
// never crashes the process: queries reject with DatabaseUnavailable meanwhile and work again
// once it is back, and the LISTEN connection re-subscribes by itself.
import pg from 'pg';
import type { Database, Queryable, Row } from './database.js';
import { assertChannelName } from './channel-name.js';
import { asUnavailable } from './database-unavailable.js';
import { createPostgresListener } from './postgres-listener.js';
import { succeedsWithin } from './succeeds-within.js';
import { pgTypes } from './type-parsers.js';

const POOL_SIZE = 10;
const CONNECT_TIMEOUT_MS = 10_000;

type PostgresOptions = { applicationName: string; onConnectionError: (error: Error) => void };

function queryable(target: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<T extends Row>(text: string, params?: unknown[], prepared?: string) {
      const values = params?.length ? params : undefined;
      const result = await (prepared ? target.query<T>({ name: prepared, text, values }) : target.query<T>(text, values)).catch(asUnavailable);
      // Several statements without params answer one result each, as PGlite's exec does.
      const results = result as unknown as pg.QueryResult<T> | Array<pg.QueryResult<T>>;
      return Array.isArray(results) ? (results.at(-1)?.rows ?? []) : results.rows;
    },
  };
}

export async function openPostgresDatabase(url: string, options: PostgresOptions): Promise<Database> {
  const config: pg.ClientConfig = { connectionString: url, application_name: options.applicationName, types: pgTypes, keepAlive: true, connectionTimeoutMillis: CONNECT_TIMEOUT_MS };
  const pool = new pg.Pool({ ...config, max: POOL_SIZE });
  // An idle client whose server went away: the pool drops it; without a listener it would crash us.
  pool.on('error', options.onConnectionError);
  const listener = createPostgresListener(config, options.onConnectionError);
  let closing: Promise<void> | undefined;

  return {
    kind: 'postgres',
    ...queryable(pool),
    async transaction(work) {
      const client = await pool.connect().catch(asUnavailable);
      // A checked-out client that loses its server emits 'error'; the failing query rejects too.
      let broken: Error | undefined;
      const onError = (error: Error) => (broken = error);
      client.on('error', onError);
      try {
        await queryable(client).query('BEGIN');
        const result = await work(queryable(client));
        await queryable(client).query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackFailed: Error) => (broken ??= rollbackFailed));
        throw error;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
    async listen(channel, onPayload, onReconnect) {
      assertChannelName(channel);
      return listener.listen(channel, { onPayload, onReconnect }).catch(asUnavailable);
    },
    jobEngineConnection: () => ({ backend: 'postgres', connectionString: url, application_name: `${options.applicationName} jobs` }),
    ping: (timeoutMs) => succeedsWithin(pool.query('SELECT 1'), timeoutMs),
    close() {
      closing ??= listener.close().then(() => pool.end());
      return closing;
    },
  };
}
