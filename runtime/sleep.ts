/** Resolves after `ms`, or at once when `wake()` of the returned handle is called. */
export function wakeableSleep(ms: number): { done: Promise<void>; wake: () => void } {
  let wake = () => undefined as void;
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  return { done, wake };
}
