// The thumbnailer function's limits, defined once for both targets: the aws program gives them
// to the Lambda, the local program registers them with the local function runner.
export const THUMBNAILER_MEMORY_MB = 2048;
/** Lambda's maximum: long videos still only cost one seek and one frame decode. */
export const THUMBNAILER_TIMEOUT_SECONDS = 900;
