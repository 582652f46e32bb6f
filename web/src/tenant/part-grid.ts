// The parts of one direct upload, each with its own progress bar and state (waiting, sending, sent,
// or already in the store from before a reload), plus a count in words. It shows what the upload
// reports and never decides anything itself.
import { h, replaceChildren } from '../dom.js';
import type { PartRange } from './upload-parts.js';

export type PartGrid = {
  readonly element: HTMLElement;
  /** Shows the parts; `kept` are already in the store. */
  plan(ranges: PartRange[], kept: number[]): void;
  sending(partNumber: number, sent: number): void;
  sent(partNumber: number): void;
  /** The upload stopped: parts on their way did not arrive. */
  halted(): void;
};

export function partGrid(onBytes: (sent: number) => void): PartGrid {
  const count = h('p', { class: 'hint', 'aria-live': 'polite' });
  const list = h('ol', { class: 'parts', 'aria-label': 'Parts' });
  const element = h('div', { class: 'part-grid' }, count, list);
  const bars = new Map<number, HTMLProgressElement>();
  const items = new Map<number, HTMLLIElement>();
  let total = 0;

  const bytesSent = () => [...bars.values()].reduce((sum, bar) => sum + bar.value, 0);
  const setState = (partNumber: number, state: string) => items.get(partNumber)?.setAttribute('data-state', state);
  const recount = () => {
    const done = [...items.values()].filter((item) => item.dataset.state === 'sent' || item.dataset.state === 'kept').length;
    count.textContent = `${done} of ${total} parts in the store`;
  };

  return {
    element,
    plan(ranges, kept) {
      total = ranges.length;
      bars.clear();
      items.clear();
      replaceChildren(
        list,
        ...ranges.map((range) => {
          const size = range.end - range.start;
          const already = kept.includes(range.partNumber);
          const bar = h('progress', { max: size, value: already ? size : 0, 'aria-label': `Part ${range.partNumber}` });
          const item = h('li', { 'data-part': range.partNumber, 'data-state': already ? 'kept' : 'waiting', title: `Part ${range.partNumber}` }, bar);
          bars.set(range.partNumber, bar);
          items.set(range.partNumber, item);
          return item;
        }),
      );
      recount();
      onBytes(bytesSent());
    },
    sending(partNumber, sent) {
      const bar = bars.get(partNumber);
      if (!bar) return;
      bar.value = Math.min(sent, bar.max);
      setState(partNumber, 'sending');
      onBytes(bytesSent());
    },
    sent(partNumber) {
      const bar = bars.get(partNumber);
      if (bar) bar.value = bar.max;
      setState(partNumber, 'sent');
      recount();
      onBytes(bytesSent());
    },
    halted() {
      for (const [partNumber, item] of items) {
        if (item.dataset.state !== 'sending') continue;
        item.dataset.state = 'waiting';
        bars.get(partNumber)!.value = 0;
      }
      onBytes(bytesSent());
    },
  };
}
