import type { ScenarioResult } from './benchTypes.ts';

/** The servers that run on a JVM: their code is compiled while it serves, so their first minutes of load cost more. */
const JVM_SERVERS = ['kafka', 'elasticsearch'];

export type WarmUpRun = Readonly<{ sagasPerSecond: number; jvmCpuMsPerSaga: number }>;

const jvmCpuMsPerSaga = (result: ScenarioResult) =>
  JVM_SERVERS.reduce((sum, server) => sum + (result.serverCpuSecondsPer1000?.[server] ?? 0), 0);

/** The servers' cost did not fall by more than `tolerance` from `earlier` to `later`. */
const flat = (later: WarmUpRun | undefined, earlier: WarmUpRun | undefined, tolerance: number) =>
  later !== undefined && earlier !== undefined && later.jvmCpuMsPerSaga >= earlier.jvmCpuMsPerSaga * (1 - tolerance);

/**
 * Runs `run` (a load like the first measured one) until the JVM servers' CPU per saga stops falling:
 * twice in a row a run within `tolerance` of the one before (once was not enough: the cost fell
 * another 30% after a run that fell by 8%), or `maxRuns` runs. On servers just started, the
 * first runs at low load cost Kafka and Elasticsearch two to three times what later runs cost
 * (16 in flight: 13.9, 7.6, 4.3 CPU ms per saga in three runs back to back), and whichever system
 * is measured first would pay for it. A warm-up of another shape (4,000 one-process sagas at 64 in
 * flight) did not take that away, so it warms with the shape measured first.
 */
export async function warmUpServers(
  run: () => Promise<ScenarioResult>,
  { maxRuns = 8, tolerance = 0.2, log = (line: string) => process.stderr.write(`${line}\n`) } = {},
): Promise<WarmUpRun[]> {
  const runs: WarmUpRun[] = [];
  while (runs.length < maxRuns) {
    const result = await run();
    const warm = { sagasPerSecond: Number(result.sagasPerSecond.toFixed(1)), jvmCpuMsPerSaga: Number(jvmCpuMsPerSaga(result).toFixed(2)) };
    runs.push(warm);
    log(`bench: server warm-up run ${runs.length}: ${warm.sagasPerSecond} sagas/s, Kafka + Elasticsearch ${warm.jvmCpuMsPerSaga} CPU ms per saga`);
    if (flat(runs.at(-1), runs.at(-2), tolerance) && flat(runs.at(-2), runs.at(-3), tolerance)) return runs;
  }
  log(`bench: server warm-up stopped after ${maxRuns} runs with the servers' cost still falling`);
  return runs;
}
