// Sends one video to POST /videos as multipart field `file` with XMLHttpRequest, because fetch()
// reports no upload progress. The body streams from the File: never read into memory here.
import { ApiError, authorization, problemFromText } from '../api-client.js';
import type { UploadedVideo } from '../api-types.js';

export function uploadVideo(token: string, file: File, onProgress: (sent: number, total: number) => void, signal: AbortSignal): Promise<UploadedVideo> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', '/videos');
    for (const [name, value] of Object.entries(authorization(token))) request.setRequestHeader(name, value);
    request.upload.addEventListener('progress', (event) => onProgress(event.loaded, event.lengthComputable ? event.total : file.size));
    request.addEventListener('load', () => {
      if (request.status === 201) resolve(JSON.parse(request.responseText) as UploadedVideo);
      else reject(new ApiError(request.status, problemFromText(request.responseText, request.statusText)));
    });
    request.addEventListener('error', () => reject(new Error('The upload failed: the server could not be reached.')));
    request.addEventListener('abort', () => reject(new DOMException('upload cancelled', 'AbortError')));
    signal.addEventListener('abort', () => request.abort(), { once: true });
    const body = new FormData();
    body.append('file', file, file.name);
    request.send(body);
  });
}
