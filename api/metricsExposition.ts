import type { Logger } from '../runtime/logger.ts';
import type { RequestHandler } from 'express';
import { sendProblem } from './problem.ts';

/** The process's metrics in a text format a scraper reads (Prometheus's, rendered in app/). */
export type MetricsExposition = Readonly<{ contentType: string; render(): Promise<string> }>;

/** `GET /metrics` on the API: the same text as the metrics listener serves. */
export function serveMetrics(exposition: MetricsExposition, logger: Logger): RequestHandler {
  return async (req, res) => {
    try {
      res.type(exposition.contentType).send(await exposition.render());
    } catch (error) {
      logger.warn({ err: error }, 'metrics: rendering failed');
      sendProblem(res, { status: 503, detail: 'The metrics could not be rendered.', instance: req.originalUrl });
    }
  };
}
