// Object keys as S3 event notifications carry them (form-URL-encoded, a space as '+'), both ways, so
// the local runner encodes exactly what the handler decodes. It never encodes '/', which S3 leaves as is.

export function decodeS3EventKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

/** Like S3: each path segment percent-encoded (UTF-8), '/' kept, a space as '+'. */
export function encodeS3EventKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%20/g, '+'))
    .join('/');
}
