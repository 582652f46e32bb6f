// One attempt at sending a message: signed with the endpoint's secret by the standardwebhooks
// package (`webhook-id`, `webhook-timestamp` of this attempt, `webhook-signature: v1,<base64>`),
// posted only to the addresses the endpoint rules allow (checked after resolution, and connected
// to as checked), bounded by the timeout from the first byte out to the status line in. A 2xx
// status is a delivery; anything else is an outcome to retry. It never follows a redirect, never
// reads the answer's body, and never throws.
import http from 'node:http';
import https from 'node:https';
import { Webhook } from 'standardwebhooks';
import { WebhookUrlRefused } from '../domain/errors.js';
import { allowedAddresses, parseEndpointUrl, pinnedLookup, systemResolver, type AddressPolicy, type HostResolver } from './endpoint-address.js';

export type AttemptOutcome =
  | { outcome: 'delivered'; status: number }
  /** The endpoint answered, with a status other than 2xx. */
  | { outcome: 'rejected'; status: number }
  | { outcome: 'timed-out'; error: string }
  /** The URL (or what its name resolves to now) is one the service may not call: nothing was sent. */
  | { outcome: 'refused'; error: string }
  /** No answer: the name did not resolve, the connection or TLS failed, or the replica stopped mid-attempt. */
  | { outcome: 'unreachable'; error: string };

export type AttemptOptions = {
  policy: AddressPolicy;
  timeoutMs: number;
  resolve?: HostResolver;
  /** Ends the attempt early (the replica is stopping, or lost its job). */
  signal?: AbortSignal;
};

export type Message = { id: string; url: string; payload: string; secret: string };

const USER_AGENT = 'thumbforge-webhooks/1';

export async function attemptDelivery(message: Message, options: AttemptOptions): Promise<AttemptOutcome> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const stopped = (): AttemptOutcome => (timeout.aborted ? timedOut(options.timeoutMs) : { outcome: 'unreachable', error: 'the attempt was stopped (the replica is stopping or lost its job)' });
  let url: URL;
  let addresses: Awaited<ReturnType<typeof allowedAddresses>>;
  try {
    url = parseEndpointUrl(message.url, options.policy);
    addresses = await allowedAddresses(url, options.policy, options.resolve ?? systemResolver, signal);
  } catch (error) {
    if (error instanceof WebhookUrlRefused) return { outcome: 'refused', error: error.message };
    if (signal.aborted) return stopped();
    return { outcome: 'unreachable', error: `could not resolve the host: ${(error as Error).message}` };
  }

  const sentAt = new Date();
  const headers = {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'webhook-id': message.id,
    'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
    'webhook-signature': new Webhook(message.secret).sign(message.id, sentAt, message.payload),
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<AttemptOutcome>((resolve) => {
    // No agent: each attempt has its own connection, to the pinned addresses, closed when it ends.
    const request = client.request(url, { method: 'POST', headers, lookup: pinnedLookup(addresses), agent: false, signal });
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      response.resume();
      response.on('error', () => undefined);
      // The status line decides; a body still coming is cut off by the attempt's signal, or ends by itself.
      resolve(status >= 200 && status < 300 ? { outcome: 'delivered', status } : { outcome: 'rejected', status });
    });
    request.on('error', (error) => resolve(signal.aborted ? stopped() : { outcome: 'unreachable', error: error.message }));
    request.end(message.payload);
  });
}

const timedOut = (timeoutMs: number): AttemptOutcome => ({ outcome: 'timed-out', error: `no answer within ${timeoutMs / 1000} s` });
