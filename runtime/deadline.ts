/**
 * `work`'s outcome if it settles within `ms`, else a rejection with `late()`: for callers that have
 * somewhere else to go (another source, a 503) and must not wait for a dependency that hangs.
 * `work` keeps running; its late outcome is ignored.
 *
 * @example
 * await withDeadline(() => readModel.get(id), 1000, () => new Error('no answer within 1000 ms'));
 */
export function withDeadline<T>(work: () => Promise<T>, ms: number, late: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(late()), ms);
  });
  return Promise.race([Promise.resolve().then(work), timedOut]).finally(() => clearTimeout(timer));
}
