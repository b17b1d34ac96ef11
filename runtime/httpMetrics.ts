/** One answered request: the route pattern it matched (never the raw path: ids would explode the series), its status and time. */
export type ServedRequest = Readonly<{ method: string; route: string; status: number; seconds: number }>;

/**
 * Where the API reports the requests it answered (Prometheus in app/); none: nothing is counted.
 * A port: the API calls it and a metrics adapter implements it, so it lives below both.
 */
export type HttpMetrics = Readonly<{ requestServed(request: ServedRequest): void }>;
