// PUTs one part of a direct upload to its presigned URL on the object store's origin with
// XMLHttpRequest (fetch() reports no upload progress), and reads the ETag its answer carries. The
// body is a slice of the File, streamed by the browser: never read into memory here.

/** The store's own reason (`<Code>` and `<Message>` of its S3 error document), when it gave one. */
function storeReason(text: string): string {
  const document = new DOMParser().parseFromString(text, 'application/xml');
  const code = document.querySelector('Error > Code')?.textContent;
  const message = document.querySelector('Error > Message')?.textContent;
  return [code, message].filter(Boolean).join(': ');
}

/** Resolves with the part's ETag; `onProgress` hears the bytes sent so far. */
export function putPart(url: string, body: Blob, onProgress: (sent: number) => void, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new DOMException('upload cancelled', 'AbortError'));
    const request = new XMLHttpRequest();
    const onAbort = () => request.abort();
    const settle = (settled: () => void) => {
      signal.removeEventListener('abort', onAbort);
      settled();
    };
    request.open('PUT', url);
    request.upload.addEventListener('progress', (event) => onProgress(event.loaded));
    request.addEventListener('load', () =>
      settle(() => {
        if (request.status !== 200) {
          const reason = storeReason(request.responseText);
          return reject(new Error(`the object store refused the part (${request.status}${reason ? `, ${reason}` : ''})`));
        }
        const etag = request.getResponseHeader('ETag');
        // Without Access-Control-Expose-Headers: ETag the header is there, but not for this page.
        if (!etag) return reject(new Error("the object store did not let this page read the part's ETag: its CORS rule must expose ETag"));
        onProgress(body.size);
        resolve(etag);
      }),
    );
    request.addEventListener('error', () =>
      settle(() => reject(new Error("the part did not reach the object store: the network failed, or the store's CORS rule does not admit this page's origin (THUMBFORGE_CONSOLE_ORIGIN)"))),
    );
    request.addEventListener('abort', () => settle(() => reject(new DOMException('upload cancelled', 'AbortError'))));
    signal.addEventListener('abort', onAbort, { once: true });
    request.send(body);
  });
}
