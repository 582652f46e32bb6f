// A client on a raw socket that sends a multipart upload's head and the first bytes of its file,
// then waits: it holds an upload open for as long as a test needs, finishes it, or hangs up; and it
// shows what the server does with a body it refuses (the answer, and whether the server closes the
// connection instead of reading on). It asks for keep-alive, so a close is the server's own choice.
import { connect } from 'node:net';

export type RawAnswer = { status: number; headers: Record<string, string>; body: string };

export type HeldUpload = {
  /** The server's answer, once it has arrived whole (it may come before the body is sent). */
  answer: Promise<RawAnswer>;
  /** Resolves when the server ends or resets the connection (the client never closes it on its own). */
  serverClosed: Promise<void>;
  /** Sends the rest of the file and the closing boundary. */
  finish(rest?: Buffer): void;
  /** Hangs up at once, mid-body. */
  hangUp(): void;
};

export type HeldUploadOptions = {
  path: string;
  token: string;
  /** The form field of the file (the API reads "file"). */
  field?: string;
  fileName?: string;
  /** The first bytes of the file, sent with the head. */
  head: Buffer;
  /** The declared Content-Length; left out, the body is sent chunked. */
  contentLength?: number;
};

const BOUNDARY = 'thumbforge-held-upload';

export function heldUpload(serviceUrl: string, options: HeldUploadOptions): HeldUpload {
  const { hostname, port } = new URL(serviceUrl);
  const { path, token, field = 'file', fileName = 'held.mp4', head, contentLength } = options;
  const socket = connect({ host: hostname, port: Number(port) });
  socket.on('error', () => undefined);
  const chunked = contentLength === undefined;
  const frame = (bytes: Buffer) => (chunked ? Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]) : bytes);
  const preamble = Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${field}"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const lines = [
    `POST ${path} HTTP/1.1`,
    `Host: ${hostname}:${port}`,
    `Authorization: Bearer ${token}`,
    `Content-Type: multipart/form-data; boundary=${BOUNDARY}`,
    'Connection: keep-alive',
    chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${contentLength}`,
  ];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  socket.write(frame(Buffer.concat([preamble, head])));

  let received = Buffer.alloc(0);
  const answer = new Promise<RawAnswer>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...headerLines] = received.subarray(0, end).toString('latin1').split('\r\n');
      const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      const body = received.subarray(end + 4);
      if (body.length < Number(headers['content-length'] ?? 0)) return;
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, body: body.toString('utf8') });
    });
  });
  const serverClosed = new Promise<void>((resolve) => {
    socket.once('end', resolve);
    socket.once('close', resolve);
  });
  return {
    answer,
    serverClosed,
    finish(rest = Buffer.alloc(0)) {
      socket.write(frame(Buffer.concat([rest, Buffer.from(`\r\n--${BOUNDARY}--\r\n`)])));
      if (chunked) socket.write('0\r\n\r\n');
    },
    hangUp: () => socket.destroy(),
  };
}
