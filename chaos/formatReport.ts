import type { ChaosReport } from './chaosRun.ts';
import { FAULT_KINDS } from './faultSchedule.ts';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Every invariant held and every scheduled fault was injected. */
export const chaosPassed = (report: ChaosReport): boolean => report.invariants.every((result) => result.violations === 0);

/** The checker's table: faults, orders, each invariant's violations, and the run around the faults. */
export function formatChaosReport(report: ChaosReport): string {
  const lines: string[] = [];
  const { options, orders } = report;
  lines.push(
    `chaos run: ${options.ratePerSecond} orders/s for ${seconds(options.durationMs)}, transient failure rate ${options.failureRate}, drained ${seconds(report.drainedAt - report.loadEndedAt)} after the load`,
    '',
    'faults injected',
  );
  for (const kind of FAULT_KINDS) {
    const of = report.faults.filter((f) => f.kind === kind);
    if (of.length === 0) continue;
    const failed = of.filter((f) => f.error).length;
    lines.push(`  ${kind.padEnd(22)} ${String(of.length).padStart(3)}   ${of.map((f) => f.target).join(', ')}${failed > 0 ? `   (${failed} could not be injected)` : ''}`);
  }
  lines.push(`  ${'total'.padEnd(22)} ${String(report.faults.length).padStart(3)}`, '');
  const reasons = Object.entries(orders.failedByReason)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  lines.push(
    'orders',
    `  sent ${orders.sent}, accepted ${orders.accepted}, completed ${orders.completed}, failed ${orders.failed} (${reasons || 'none'}); client retries ${orders.clientRetries}`,
    `  payment deadlines missed because of a fault: ${Math.max(0, (orders.failedByReason.PAYMENT_TIMEOUT ?? 0) - orders.paymentTimeoutsInMix)} (the mix has ${orders.paymentTimeoutsInMix} payments that never answer)`,
    '',
    'invariants                                                        violations',
  );
  for (const result of report.invariants) {
    lines.push(`  ${result.rule.padEnd(64)} ${String(result.violations).padStart(6)}`);
    for (const example of result.examples) lines.push(`      ${example}`);
  }
  lines.push('', 'window            from    to      sent   ended/s   p50 ms   p99 ms');
  for (const w of report.windows.windows) {
    const at = (ms: number) => `${((ms - report.startedAt) / 1000).toFixed(0)} s`.padStart(6);
    lines.push(`  ${w.name.padEnd(15)} ${at(w.fromMs)}  ${at(w.toMs)}  ${String(w.sent).padStart(5)}  ${w.endedPerSecond.toFixed(1).padStart(8)}  ${String(Math.round(w.p50Ms)).padStart(7)}  ${String(Math.round(w.p99Ms)).padStart(7)}`);
  }
  const longest = report.windows.longestFaultWait;
  if (longest) lines.push('', `longest wait of an order during a fault: ${seconds(longest.waitedMs)} (${longest.orderId}, overlapping ${longest.faults.join(', ')})`);
  const violations = report.invariants.reduce((sum, r) => sum + r.violations, 0);
  lines.push('', chaosPassed(report) ? 'PASSED: 0 violations' : `FAILED: ${violations} violations`, `logs: ${report.workDir}/logs`);
  return lines.join('\n');
}
