// The readiness probe's clock: whether a query succeeded within a deadline. It never throws, and
// it leaves the query itself running (a late result or error is dropped).
export function succeedsWithin(query: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  const settled = query.then(() => true, () => false);
  return Promise.race([settled, late]).finally(() => clearTimeout(timer));
}
