// How a regeneration reaches the tenant's thumbnailer function. On the local target it is a job of
// the function runner, sent in the catalog's transaction; on aws an asynchronous invoke
// (InvocationType Event) of the tenant's Lambda with the S3 event of the stored video and the
// regeneration beside it (src/domain/thumbnail-regeneration.ts), made inside that transaction, so a
// refused invoke changes nothing. It never waits for the run itself.
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { Queryable } from '../../db/database.js';
import { ThumbnailerUnavailable } from '../../domain/errors.js';
import { REGENERATION_EVENT_FIELD, type RegenerationRun } from '../../domain/thumbnail-regeneration.js';
import { s3EventRecord, STORED_VIDEO_EVENT } from '../../local/s3-event-record.js';

/** Starts the run, in `tx` where the target can (a job), or before it commits (an invoke); throws when it could not. */
export type StartRegeneration = (run: RegenerationRun, tx: Queryable) => Promise<void>;

/** Who the records of the service's own events name (as S3 names its notification). */
const SENDER = 'thumbforge-service';
/** What Lambda answers an accepted asynchronous invoke with. */
const ACCEPTED = 202;

/** The aws target: the tenant's Lambda, invoked asynchronously (Lambda retries a failed run twice, then its failure destination has it). */
export function lambdaRegenerations(lambda: Pick<LambdaClient, 'send'>, region: string): StartRegeneration {
  return async (run) => {
    const event = { Records: [s3EventRecord(run, STORED_VIDEO_EVENT, region, SENDER)], [REGENERATION_EVENT_FIELD]: run.regeneration };
    let status: number | undefined;
    try {
      const answer = await lambda.send(new InvokeCommand({ FunctionName: run.functionName, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(event)) }));
      status = answer.StatusCode;
    } catch (error) {
      const name = (error as { name?: string }).name ?? 'error';
      throw new ThumbnailerUnavailable(`the thumbnailer function ${run.functionName} could not be invoked (${name}); nothing changed, retry`, { cause: error });
    }
    if (status !== ACCEPTED) throw new ThumbnailerUnavailable(`the thumbnailer function ${run.functionName} answered the invoke with ${status ?? 'nothing'}; nothing changed, retry`);
  };
}
