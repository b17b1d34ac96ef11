import type { Logger } from '../runtime/logger.ts';
import type { RequestHandler } from 'express';
import type { MetricsExposition } from '../runtime/metricsExposition.ts';
import { sendProblem } from './problem.ts';

export type { MetricsExposition } from '../runtime/metricsExposition.ts';

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
