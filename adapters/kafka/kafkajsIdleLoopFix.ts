import { createRequire } from 'node:module';

type RequestQueue = {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
};

/** kafkajs's own delay before it looks at requests it could not send yet. */
const CHECK_PENDING_INTERVAL_MS = 10;

let applied = false;

/**
 * kafkajs 2.2.4 re-arms a 1 ms timer forever on every broker connection, even with nothing to send
 * (kafkajs issues 1704 and 1751): on two cores, a handful of idle consumers burn a sizeable share of
 * a core and Node 24 warns about negative timeouts. This replaces that one method so that it only
 * schedules a check when a request is waiting or a throttle is due to end. The package is
 * unmaintained, so the fix lives here; it is applied once per process, before any client exists.
 */
export function applyKafkajsIdleLoopFix(): void {
  if (applied) return;
  applied = true;
  const require = createRequire(import.meta.url);
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueue };
  RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueue) {
    if (this.throttleCheckTimeoutId) return;
    const untilUnthrottled = this.throttledUntil - Date.now();
    if (this.pending.length === 0 && untilUnthrottled <= 0) return;
    const delay = untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_INTERVAL_MS;
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, delay);
  };
}
