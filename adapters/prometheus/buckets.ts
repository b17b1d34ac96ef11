/** Bucket bounds shared by the histograms, so that panels and alerts compare like with like. */
export const BUCKETS = {
  /** A saga's life and a state's dwell: from a cached step to a day parked. */
  sagaSeconds: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400],
  /** A request, a batch's handling, a commit. */
  workSeconds: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  /** Messages per handled batch; the worker takes up to 1,000, the projector 2,000. */
  batchMessages: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000],
} as const;
