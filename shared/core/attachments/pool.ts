/** A small worker pool over an async iterable: at most `size` items in flight, first error wins. */

/** Runs `work` for each item of `items`, `size` at a time; rejects with the first failure (after in-flight work settles). */
export async function runPool<T>(items: AsyncIterable<T> | Iterable<T>, size: number, work: (item: T) => Promise<void>): Promise<void> {
  const it = (Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : (items as Iterable<T>)[Symbol.iterator]()) as AsyncIterator<T> | Iterator<T>;
  let failed: unknown;
  let pulling: Promise<unknown> = Promise.resolve();
  // Pulls are serialized: async generators (e.g. paged SQL) must not be advanced concurrently.
  const next = (): Promise<IteratorResult<T>> => {
    const p = pulling.then(() => it.next());
    pulling = p.catch(() => undefined);
    return p;
  };
  const worker = async (): Promise<void> => {
    while (failed === undefined) {
      const r = await next();
      if (r.done) return;
      try {
        await work(r.value);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, size) }, () => worker().catch((err: unknown) => (failed ??= err))));
  if (failed !== undefined) {
    await it.return?.();
    throw failed;
  }
}
