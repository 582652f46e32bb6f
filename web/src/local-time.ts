// A time from the API (ISO 8601) as a <time> element in the reader's locale, its machine-readable
// value kept in `datetime`. It never shows a time without its date.
import { h } from './dom.js';

export function localTime(iso: string): HTMLTimeElement {
  return h('time', { datetime: iso }, new Date(iso).toLocaleString());
}
