// The stream an upload passes through on its way to the bucket: it holds back the first bytes
// until the container type is known, and counts bytes so the size limit holds while streaming.
// It never buffers more than the sniffed head; a refused upload fails the stream, which aborts the upload.
import { Transform, type TransformCallback } from 'node:stream';
import { NoVideoFile, UploadTooLarge } from '../../domain/errors.js';
import { SNIFF_BYTES, sniffVideo, type VideoType } from './video-signature.js';

export class VideoIntake extends Transform {
  /** Settles once the first bytes are in: the type, or NotAVideo / NoVideoFile / UploadTooLarge. */
  readonly type: Promise<VideoType>;
  bytes = 0;
  private head: Buffer[] = [];
  private decided = false;
  private settle!: { resolve: (type: VideoType) => void; reject: (error: Error) => void };

  constructor(private readonly maxBytes: number) {
    super();
    this.type = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    // The caller may stop waiting for the type (the upload then fails on its own); never unhandled.
    this.type.catch(() => undefined);
    this.on('error', (error) => this.settle.reject(error));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) return done(new UploadTooLarge(this.maxBytes));
    if (this.decided) return done(null, chunk);
    this.head.push(chunk);
    if (this.bytes < SNIFF_BYTES) return done();
    this.decide(done);
  }

  override _flush(done: TransformCallback): void {
    if (this.decided) return done();
    if (this.bytes === 0) return done(new NoVideoFile('the file is empty'));
    this.decide(done);
  }

  private decide(done: TransformCallback): void {
    this.decided = true;
    const head = Buffer.concat(this.head);
    this.head = [];
    sniffVideo(head).then(
      (type) => {
        this.settle.resolve(type);
        done(null, head);
      },
      (error: Error) => done(error),
    );
  }
}
