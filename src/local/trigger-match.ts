// Whether a bucket trigger fires for an object event, with S3's notification semantics (event names
// with a trailing "*" wildcard, prefix/suffix pairs). Pure: it never reads registrations or the store.
import type { TriggerRegistration } from '../domain/local-registrations.js';

const withPrefix = (eventName: string) => (eventName.startsWith('s3:') ? eventName : `s3:${eventName}`);

export function triggerEventMatches(trigger: TriggerRegistration, eventName: string): boolean {
  const name = withPrefix(eventName);
  return trigger.events.some((pattern) => (pattern.endsWith('*') ? name.startsWith(withPrefix(pattern.slice(0, -1))) : name === withPrefix(pattern)));
}

export function triggerKeyMatches(trigger: TriggerRegistration, key: string): boolean {
  return trigger.filters.length === 0 || trigger.filters.some((filter) => key.startsWith(filter.prefix) && key.endsWith(filter.suffix));
}
