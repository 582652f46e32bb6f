// A preview's plan in words: how many resources the engine would create, update, delete or leave
// as they are. Pure; it never leaves out a count the engine reported.
import type { PreviewResult } from '../api-types.js';

const WORDS: Array<[keyof PreviewResult['changes'], string]> = [
  ['create', 'to create'],
  ['update', 'to update'],
  ['delete', 'to delete'],
  ['same', 'unchanged'],
];

/** "1 to update, 3 unchanged"; counts of zero are left out. */
export function planSummary(changes: PreviewResult['changes']): string {
  const parts = WORDS.filter(([op]) => changes[op] > 0).map(([op, words]) => `${changes[op]} ${words}`);
  return parts.length > 0 ? parts.join(', ') : 'no resources';
}

/** Whether applying the plan would change any resource. */
export function planChangesSomething(changes: PreviewResult['changes']): boolean {
  return changes.create + changes.update + changes.delete > 0;
}
