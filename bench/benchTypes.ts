import type { IoCounts } from './ioCounts.ts';

/** How load is offered: as fast as the system takes it, or at a fixed arrival rate. */
export type LoadShape = Readonly<{ kind: 'closed'; concurrency: number } | { kind: 'open'; ratePerSecond: number }>;

export type ScenarioOptions = Readonly<{
  /** Sagas measured (after warm-up). */
  sagas: number;
  /** Sagas run first and not measured. */
  warmup: number;
  load: LoadShape;
  /** Hard limit for the whole run; a run stops by itself when it is reached. */
  timeoutMs: number;
}>;

/** What one scenario run measured. Latency is from acceptance to the terminal state of a saga. */
export type ScenarioResult = Readonly<{
  scenario: string;
  sagas: number;
  completed: number;
  seconds: number;
  sagasPerSecond: number;
  latencyMs: Readonly<{ p50: number; p95: number; p99: number }>;
  /** Time from a saga's terminal state to its visibility in the read model, where there is one. */
  readModelLagP99Ms?: number;
  /** CPU seconds per 1,000 sagas, per process of the system under test. */
  cpuSecondsPer1000: Readonly<Record<string, number>>;
  /** CPU seconds per 1,000 sagas of the shared servers (PostgreSQL, Kafka, Elasticsearch, Redis), where they are used. */
  serverCpuSecondsPer1000?: Readonly<Record<string, number>>;
  /** Peak resident memory in MiB, per process. */
  peakRssMiB: Readonly<Record<string, number>>;
  notes?: readonly string[];
  /** What the run wrote (rows per table, messages per topic, documents), when it was asked to count. */
  io?: IoCounts;
}>;
