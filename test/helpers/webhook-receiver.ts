// Test fixture: a webhook receiver on loopback (node:http), as an integrating application runs one.
// It verifies every request with the standardwebhooks package against the endpoint's secret, keeps
// what it got, and answers as the test scripts it per message: a status, or `hang` (it never
// answers, so only the sender's timeout ends the attempt). The test (or bench) that starts it stops it.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import { Webhook } from 'standardwebhooks';

export type ReceivedMessage = {
  id: string;
  /** This message's attempt as the receiver counts them (1 for the first request with its id). */
  attempt: number;
  timestamp: number;
  /** The body, once its signature verified; undefined when it did not (see `error`). */
  message?: { type: string; timestamp: string; data: Record<string, any> };
  error?: string;
};

/** How to answer the nth request carrying a webhook-id. */
export type Answer = number | 'hang';

export type WebhookReceiver = {
  url: string;
  received: ReceivedMessage[];
  /** The endpoint's secret, known once the endpoint is created. */
  secret?: string;
  answer: (attempt: number) => Answer;
};

/** `t` only needs `teardown`: a bench hands in its own list of closers. */
export async function startWebhookReceiver(t: Pick<Test, 'teardown'>, answer: (attempt: number) => Answer = () => 204, path = '/hooks/in'): Promise<WebhookReceiver> {
  const attempts = new Map<string, number>();
  const receiver: WebhookReceiver = { url: '', received: [], answer };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(request.headers['webhook-id'] ?? '');
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      const record: ReceivedMessage = { id, attempt, timestamp: Number(request.headers['webhook-timestamp']) };
      try {
        if (!receiver.secret) throw new Error('no secret to verify with yet');
        record.message = new Webhook(receiver.secret).verify(body, request.headers as Record<string, string>) as ReceivedMessage['message'];
      } catch (error) {
        record.error = (error as Error).message;
      }
      receiver.received.push(record);
      const reply = record.error ? 400 : receiver.answer(attempt);
      // A held request stays open until the sender gives up or the receiver stops.
      if (reply !== 'hang') response.writeHead(reply).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  return receiver;
}
