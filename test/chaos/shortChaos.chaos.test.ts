import { describe, expect, it } from 'vitest';
import { chaosOptionsFrom } from '../../chaos/chaosOptions.ts';
import { runChaos } from '../../chaos/chaosRun.ts';
import { FAULT_KINDS } from '../../chaos/faultSchedule.ts';
import { formatChaosReport } from '../../chaos/formatReport.ts';

describe('faults under load (the short chaos run)', () => {
  it('injects every fault kind once under load, and the checker finds nothing lost, duplicated or stuck', { timeout: 900_000 }, async () => {
    const lines: string[] = [];
    const log = (line: string) => lines.push(`${new Date().toISOString().slice(11, 19)} ${line}`);
    const report = await runChaos(chaosOptionsFrom(['--short'], log));
    const table = formatChaosReport(report);
    console.log(table);
    expect(new Set(report.faults.filter((f) => !f.error).map((f) => f.kind)), lines.join('\n')).toEqual(new Set(FAULT_KINDS));
    expect(report.orders.accepted).toBe(report.orders.sent);
    expect(report.orders.completed).toBeGreaterThan(report.orders.accepted / 2);
    expect(report.invariants.filter((result) => result.violations > 0), table).toEqual([]);
  });
});
