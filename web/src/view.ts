// What every page of the console is: an element to show and a way to stop its background work
// (streams, polling) when it is replaced. A disposed view never touches the DOM again.
export type View = { readonly element: HTMLElement; dispose(): void };
