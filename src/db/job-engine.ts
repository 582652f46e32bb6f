// pg-boss on a Database: the engine started (its own tables migrated by itself, safe from every
// replica at once), the queues created from one table of definitions, and typed, versioned sends.
// Its error and warning events are logged, never thrown; it never hand-polls (workers use work()).
import { PgBoss, type ConnectionOptions, type JobOptions, type QueuePolicy } from 'pg-boss';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Database, Queryable } from './database.js';

export const JOB_ENGINE_SCHEMA = 'pgboss';

/** A job payload's schema and its version, stamped on every job (jobs outlive deploys). */
export type JobPayload<Schema extends z.ZodObject = z.ZodObject> = { version: number; schema: Schema };

/** Bump the version whenever the schema changes shape; `version` is reserved in the payload. */
export function jobPayload<Schema extends z.ZodObject>(version: number, schema: Schema): JobPayload<Schema> {
  if ('version' in schema.shape) throw new Error('"version" is stamped by sendJob and cannot be a payload field');
  return { version, schema };
}

export type QueueDefinition = {
  name: string;
  policy: QueuePolicy;
  retryLimit: number;
  retryDelay?: number;
  retryBackoff?: boolean;
  /** With retryBackoff: the longest wait between two attempts, in seconds (unset: no cap). */
  retryDelayMax?: number;
  heartbeatSeconds?: number;
  expireInSeconds?: number;
  deadLetter?: string;
  /**
   * Wake workers by NOTIFY when a job is sent (default off: they poll every pollingIntervalSeconds).
   * With it, an idle worker polls only every notifyPollingIntervalSeconds (default 30 s), and a
   * key_strict_fifo job that becomes ready when its predecessor ends sends no NOTIFY: set
   * notifyPollingIntervalSeconds in work() as low as pollingIntervalSeconds for such a queue.
   */
  notify?: boolean;
  payload: JobPayload;
};

export class InvalidJobPayload extends Error {
  override readonly name = 'InvalidJobPayload';
  constructor(readonly queue: string, error: z.ZodError) {
    super(`invalid payload for queue "${queue}": ${error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`, { cause: error });
  }
}

/** A job sent under another payload version than the one this build reads. */
export class UnknownPayloadVersion extends Error {
  override readonly name = 'UnknownPayloadVersion';
  constructor(readonly version: unknown, readonly expected: number) {
    super(`job payload version ${String(version)} is not ${expected}`);
  }
}

export type JobEngineOptions = {
  db: Database;
  replicaId: string;
  /** This instance's heartbeat in pg-boss's registry. */
  heartbeatSeconds: number;
  /** How often expired jobs and missed job heartbeats are looked for; defaults to heartbeatSeconds. */
  superviseIntervalSeconds?: number;
  logger: Pick<Logger, 'warn' | 'error'>;
};

/** A started PgBoss; stop it (`boss.stop()`) before closing the database. */
export async function createJobEngine(options: JobEngineOptions): Promise<PgBoss> {
  const superviseSeconds = options.superviseIntervalSeconds ?? options.heartbeatSeconds;
  const boss = new PgBoss({
    ...options.db.jobEngineConnection(),
    schema: JOB_ENGINE_SCHEMA,
    instanceName: options.replicaId,
    instanceHeartbeatSeconds: options.heartbeatSeconds,
    superviseIntervalSeconds: superviseSeconds,
    // Job heartbeats are checked by the monitor pass, so it runs as often as supervision.
    monitorIntervalSeconds: superviseSeconds,
    useListenNotify: true,
  });
  boss.on('error', (error) => options.logger.error({ err: error }, 'job engine error'));
  boss.on('warning', (warning) => options.logger.warn({ warning: warning.data }, `job engine warning: ${warning.message}`));
  try {
    return await boss.start();
  } catch (error) {
    await boss.stop({ graceful: false }).catch(() => undefined);
    throw error;
  }
}

/** pg-boss refuses an option present as undefined. */
function withoutUnset<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as T;
}

/** The table in an order where every dead-letter queue comes before the queues naming it. */
function deadLettersFirst(queues: readonly QueueDefinition[]): QueueDefinition[] {
  const defined = new Set(queues.map((queue) => queue.name));
  const placed = new Set<string>();
  const ordered: QueueDefinition[] = [];
  while (ordered.length < queues.length) {
    const ready = queues.filter((queue) => !placed.has(queue.name) && (!queue.deadLetter || !defined.has(queue.deadLetter) || placed.has(queue.deadLetter)));
    if (ready.length === 0) throw new Error('the queue table has a cycle of dead-letter queues');
    ordered.push(...ready);
    for (const queue of ready) placed.add(queue.name);
  }
  return ordered;
}

/**
 * Creates or updates every queue of the table, and each dead-letter queue the table names but does
 * not define (policy standard). pg-boss's createQueue is idempotent under a lock across replicas,
 * so nothing is swallowed here; an option left unset keeps the queue's current value; a policy
 * cannot change after creation, so a queue found with another one is an error.
 */
export async function defineQueues(boss: PgBoss, queues: readonly QueueDefinition[]): Promise<void> {
  const defined = new Set(queues.map((queue) => queue.name));
  const deadLetters = new Set(queues.flatMap((queue) => (queue.deadLetter && !defined.has(queue.deadLetter) ? [queue.deadLetter] : [])));
  for (const name of deadLetters) await boss.createQueue(name, { policy: 'standard' });
  for (const { name, policy, retryLimit, retryDelay, retryBackoff, retryDelayMax, expireInSeconds, heartbeatSeconds, deadLetter, notify } of deadLettersFirst(queues)) {
    const options = withoutUnset({ retryLimit, retryDelay, retryBackoff, retryDelayMax, expireInSeconds, notify: notify ?? false });
    await boss.createQueue(name, { ...options, ...withoutUnset({ policy, heartbeatSeconds, deadLetter }) });
    await boss.updateQueue(name, { ...options, heartbeatSeconds: heartbeatSeconds ?? null, deadLetter: deadLetter ?? null });
  }
  const found = new Map((await boss.getQueues([...defined])).map((queue) => [queue.name, queue.policy]));
  const wrong = queues.filter((queue) => found.get(queue.name) !== queue.policy);
  if (wrong.length > 0) {
    throw new Error(`queues exist with another policy than the table's (a policy cannot change): ${wrong.map((queue) => `${queue.name} is ${found.get(queue.name)}, not ${queue.policy}`).join('; ')}`);
  }
}

export type SendJobOptions = JobOptions & ConnectionOptions;

/** Validates the payload and sends it stamped with its version; resolves with the job id (null when a singleton policy dropped it). */
export async function sendJob<Schema extends z.ZodObject>(boss: PgBoss, queue: string, payload: JobPayload<Schema>, data: z.input<Schema>, options: SendJobOptions = {}): Promise<string | null> {
  const parsed = payload.schema.safeParse(data);
  if (!parsed.success) throw new InvalidJobPayload(queue, parsed.error);
  return boss.send(queue, { ...parsed.data, version: payload.version }, options);
}

/** A worker's read of job.data: the payload, once its version and shape are the ones this build knows. */
export function readJobPayload<Schema extends z.ZodObject>(payload: JobPayload<Schema>, data: unknown): z.output<Schema> {
  const { version, ...fields } = (data ?? {}) as { version?: unknown };
  if (version !== payload.version) throw new UnknownPayloadVersion(version, payload.version);
  return payload.schema.parse(fields);
}

/** One queue's backlog now: jobs waiting (queued, deferred or retrying), jobs running, and how long the oldest job that may run now has waited. */
export type QueueBacklog = { queue: string; waiting: number; active: number; oldestWaitingSeconds: number };

/**
 * Every queue's backlog, read from pg-boss's tables at the moment of asking: pg-boss's own counts
 * (getQueues, getQueueStats) are what its last monitor pass cached, and it keeps the oldest job's
 * wait only with persistQueueStats on. The wait counts from when a job could first run (a retry's
 * backoff or a deferred start excluded), as pg-boss's readyOldestSeconds does.
 */
export async function queueBacklog(q: Queryable): Promise<QueueBacklog[]> {
  const rows = await q.query<{ queue: string; waiting: number; active: number; oldest: number | null }>(
    `SELECT queue.name AS queue,
            count(job.id) FILTER (WHERE job.state < 'active') AS waiting,
            count(job.id) FILTER (WHERE job.state = 'active') AS active,
            extract(epoch FROM now() - min(greatest(job.created_on, job.start_after)) FILTER (WHERE job.state < 'active' AND job.start_after <= now()))::float8 AS oldest
       FROM ${JOB_ENGINE_SCHEMA}.queue queue
       LEFT JOIN ${JOB_ENGINE_SCHEMA}.job job ON job.name = queue.name AND job.state <= 'active'
      GROUP BY queue.name
      ORDER BY queue.name`,
  );
  return rows.map((row) => ({ queue: row.queue, waiting: row.waiting, active: row.active, oldestWaitingSeconds: Math.max(0, row.oldest ?? 0) }));
}
