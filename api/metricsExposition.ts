import type { RequestHandler } from 'express';
import { sendProblem } from './problem.ts';

/** The process's metrics in a text format a scraper reads (Prometheus's, rendered in app/). */
export type MetricsExposition = Readonly<{ contentType: string; render(): Promise<string> }>;

/** `GET /metrics` on the API: the same text as the metrics listener serves. */
export function serveMetrics(exposition: MetricsExposition, log: (message: string) => void): RequestHandler {
  return async (req, res) => {
    try {
      res.type(exposition.contentType).send(await exposition.render());
    } catch (error) {
      log(`metrics: rendering failed: ${(error as Error).message}`);
      sendProblem(res, { status: 503, detail: 'The metrics could not be rendered.', instance: req.originalUrl });
    }
  };
}
