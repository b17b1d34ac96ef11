/**
 * The process's metrics in a text format a scraper reads (Prometheus's, rendered in app/). A port:
 * the API serves it and a metrics adapter renders it, so it lives below both.
 */
export type MetricsExposition = Readonly<{ contentType: string; render(): Promise<string> }>;
