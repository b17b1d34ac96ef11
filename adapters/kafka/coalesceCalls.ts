type Waiting<T> = { item: T; resolve: () => void; reject: (error: unknown) => void };

export type CoalesceOptions<T> = Readonly<{
  /** Items with different keys never run together. */
  keyOf?: (item: T) => string;
  /** Items run together up to this total size; a single larger item runs alone. */
  sizeOf?: (item: T) => number;
  maxSize?: number;
}>;

/**
 * Calls that arrive within one turn of the event loop run as one. kafkajs hands every partition
 * batch of a fetch to its workers at the same moment; one handler call for all of them is one
 * transaction, one bulk request and one offset commit instead of one per partition. Every caller
 * gets the outcome of the run its item was part of.
 */
export function coalesceCalls<T>(run: (items: readonly T[]) => Promise<void>, options: CoalesceOptions<T> = {}): (item: T) => Promise<void> {
  const keyOf = options.keyOf ?? (() => '');
  const sizeOf = options.sizeOf ?? (() => 1);
  const maxSize = options.maxSize ?? Number.POSITIVE_INFINITY;
  let pending: Waiting<T>[] = [];

  function flush(): void {
    const groups: Waiting<T>[][] = [];
    const open = new Map<string, { group: Waiting<T>[]; size: number }>();
    for (const waiting of pending) {
      const key = keyOf(waiting.item);
      const size = sizeOf(waiting.item);
      let current = open.get(key);
      if (!current || (current.group.length > 0 && current.size + size > maxSize)) {
        current = { group: [], size: 0 };
        open.set(key, current);
        groups.push(current.group);
      }
      current.group.push(waiting);
      current.size += size;
    }
    pending = [];
    for (const group of groups) {
      run(group.map((w) => w.item)).then(
        () => group.forEach((w) => w.resolve()),
        (error: unknown) => group.forEach((w) => w.reject(error)),
      );
    }
  }

  return (item) =>
    new Promise<void>((resolve, reject) => {
      if (pending.length === 0) setImmediate(flush);
      pending.push({ item, resolve, reject });
    });
}
