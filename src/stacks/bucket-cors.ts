// The one CORS rule a tenant bucket carries, on both targets: the web console's origins may PUT
// direct-upload parts and GET outputs (storyboard index, sheets) from the browser, and read each
// part's ETag, which completion names. It never allows an origin it was not given, nor a write
// other than a part's PUT (the URLs are presigned: the rule only lets the browser send them).
export const CONSOLE_CORS_METHODS = ['GET', 'HEAD', 'PUT'];
/** The browser may send any header a presigned request needs (a part's Content-Type, say). */
export const CONSOLE_CORS_HEADERS = ['*'];
/** Completion names every part by the ETag its PUT answered: the console must be able to read it. */
export const CONSOLE_CORS_EXPOSED = ['ETag'];
/** Browsers cache a preflight this long (Chromium caps it at two hours). */
export const CONSOLE_CORS_MAX_AGE_SECONDS = 3600;
