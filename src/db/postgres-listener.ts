// LISTEN for the postgres backend: one dedicated connection carries every channel of a Database.
// When it is lost (server restart, silent drop found by a heartbeat) it reconnects with backoff,
// LISTENs again and tells every subscriber to re-read. It never lets a connection error escape.
import pg from 'pg';

type Subscriber = { onPayload: (payload: string) => void; onReconnect?: () => void };

const HEARTBEAT_MS = 10_000;
const HEARTBEAT_TIMEOUT_MS = 5_000;
const MAX_BACKOFF_MS = 5_000;

const quoted = (channel: string) => `"${channel}"`;

export function createPostgresListener(config: pg.ClientConfig, onConnectionError: (error: Error) => void) {
  const channels = new Map<string, Set<Subscriber>>();
  let client: pg.Client | undefined;
  let connecting: Promise<pg.Client> | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let retry: NodeJS.Timeout | undefined;
  let failures = 0;
  let closed = false;

  /** The connection, opened (with every current channel LISTENed) when there is none. */
  function connection(): Promise<pg.Client> {
    if (client) return Promise.resolve(client);
    connecting ??= open().finally(() => (connecting = undefined));
    return connecting;
  }

  async function open(): Promise<pg.Client> {
    const next = new pg.Client({ ...config, keepAlive: true });
    next.on('error', (error) => lost(next, error));
    next.on('end', () => lost(next, new Error('the LISTEN connection ended')));
    next.on('notification', ({ channel, payload }) => {
      for (const subscriber of channels.get(channel) ?? []) subscriber.onPayload(payload ?? '');
    });
    try {
      await next.connect();
      for (const channel of channels.keys()) await next.query(`LISTEN ${quoted(channel)}`);
    } catch (error) {
      next.removeAllListeners().on('error', () => {});
      await next.end().catch(() => {});
      throw error;
    }
    if (closed) {
      await next.end().catch(() => {});
      throw new Error('the database is closed');
    }
    client = next;
    heartbeat = setInterval(() => void beat(next), HEARTBEAT_MS).unref();
    return next;
  }

  async function beat(target: pg.Client) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the LISTEN connection missed a heartbeat')), HEARTBEAT_TIMEOUT_MS)));
    try {
      await Promise.race([target.query('SELECT 1'), timeout]);
    } catch (error) {
      lost(target, error as Error);
    } finally {
      clearTimeout(timer);
    }
  }

  function lost(target: pg.Client, error: Error) {
    if (target !== client) return;
    client = undefined;
    clearInterval(heartbeat);
    target.removeAllListeners().on('error', () => {});
    target.end().catch(() => {});
    onConnectionError(error);
    reconnectLater();
  }

  function reconnectLater() {
    if (closed || retry || channels.size === 0) return;
    const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** failures++);
    retry = setTimeout(() => {
      retry = undefined;
      connection().then(
        () => {
          failures = 0;
          for (const subscribers of channels.values()) for (const subscriber of subscribers) subscriber.onReconnect?.();
        },
        () => reconnectLater(),
      );
    }, delay).unref();
  }

  async function unlisten(channel: string, subscriber: Subscriber) {
    const subscribers = channels.get(channel);
    if (!subscribers?.delete(subscriber) || subscribers.size > 0) return;
    channels.delete(channel);
    await client?.query(`UNLISTEN ${quoted(channel)}`).catch(() => {});
  }

  return {
    async listen(channel: string, subscriber: Subscriber): Promise<() => Promise<void>> {
      const first = !channels.has(channel);
      const subscribers = channels.get(channel) ?? new Set();
      channels.set(channel, subscribers.add(subscriber));
      try {
        const listening = await connection();
        if (first) await listening.query(`LISTEN ${quoted(channel)}`);
      } catch (error) {
        await unlisten(channel, subscriber);
        throw error;
      }
      return () => unlisten(channel, subscriber);
    },

    async close() {
      closed = true;
      clearTimeout(retry);
      clearInterval(heartbeat);
      const open = client ?? (await connecting?.catch(() => undefined));
      client = undefined;
      open?.removeAllListeners().on('error', () => {});
      await open?.end().catch(() => {});
    },
  };
}
