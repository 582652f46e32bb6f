// The one rule for LISTEN/NOTIFY channel names. PGlite sends LISTEN unquoted (case-folded) and
// pg_notify takes the name verbatim, so only names both read alike are allowed.
const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertChannelName(channel: string): void {
  if (!CHANNEL_NAME.test(channel)) throw new Error(`channel "${channel}" must be a lowercase SQL identifier`);
}
