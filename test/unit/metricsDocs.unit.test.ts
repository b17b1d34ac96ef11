import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { System } from '../../app/system.ts';
import { apiKeysEnv, testApiKey } from '../support/apiKeys.ts';
import { startEmbedded } from '../support/embeddedSystem.ts';
import { metricTypes } from '../support/prometheusText.ts';

const DASHBOARD = 'docs/grafana/xsaga.json';
const ALERTS = 'docs/prometheus/xsaga-alerts.yml';
const ALERT_TESTS = 'docs/prometheus/xsaga-alerts.test.yml';

/** The metric names an expression or a file uses: xsaga's own and Node's process metrics. */
const metricNamesIn = (text: string): Set<string> => new Set(text.match(/\b(?:xsaga|process|nodejs)_[a-z0-9_]+\b/g) ?? []);

/** The family a sample name belongs to: a histogram's `_bucket`, `_sum` and `_count` are its own. */
const familyOf = (name: string, families: ReadonlyMap<string, string>): string | undefined => {
  if (families.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return families.get(base) === 'histogram' || families.get(base) === 'summary' ? base : undefined;
};

/** Every metric name the README's metrics table lists, in its first column. */
const readmeMetricNames = (readme: string): Set<string> => {
  const section = readme.slice(readme.indexOf('### Metrics'));
  return new Set([...section.matchAll(/^\| `((?:xsaga|process|nodejs)_[a-z0-9_]+)`/gm)].map((m) => m[1]!));
};

describe('the Grafana dashboard, the alert rules and the README name metrics that exist', () => {
  const viewer = testApiKey('viewer');
  let system: System;
  let families: Map<string, string>;

  beforeAll(async () => {
    system = await startEmbedded(apiKeysEnv(viewer), { processMetrics: true });
    const url = await system.listen(0);
    const response = await fetch(`${url}/metrics`, { headers: viewer.headers });
    expect(response.status).toBe(200);
    families = metricTypes(await response.text());
    // Roomy: starting a system beside other suites on a busy machine can take a while.
  }, 180_000);
  afterAll(async () => {
    await system?.stop();
  });

  it('builds every panel of the dashboard on metrics a system serves', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: { type: string; title: string; targets?: { expr: string }[] }[] };
    const charts = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(charts.length).toBeGreaterThan(20);
    for (const panel of charts) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const { expr } of panel.targets!) {
        const names = metricNamesIn(expr);
        expect(names.size, `${panel.title}: ${expr}`).toBeGreaterThan(0);
        for (const name of names) expect(familyOf(name, families), `${panel.title} uses ${name}`).toBeDefined();
      }
    }
  });

  it('writes every alert rule on metrics a system serves', async () => {
    const rules = await readFile(ALERTS, 'utf8');
    const exprs = [...rules.matchAll(/expr: (>-\n(?:\s{10}.*\n)+|.*)/g)].map((m) => m[1]!);
    expect(exprs).toHaveLength((rules.match(/- alert:/g) ?? []).length);
    for (const expr of exprs) {
      const names = metricNamesIn(expr);
      expect(names.size, expr).toBeGreaterThan(0);
      for (const name of names) expect(familyOf(name, families), `${expr} uses ${name}`).toBeDefined();
    }
    for (const alert of ['XsagaSagasNeedAttention', 'XsagaTimersOverdue', 'XsagaConsumerLagGrowing', 'XsagaOutboxNotDraining']) expect(rules).toContain(`alert: ${alert}`);
  });

  it('lists in the README every xsaga metric a system serves, and no other', async () => {
    const listed = readmeMetricNames(await readFile('README.md', 'utf8'));
    const served = [...families.keys()].filter((name) => name.startsWith('xsaga_'));
    expect([...listed].filter((name) => name.startsWith('xsaga_')).sort()).toEqual(served.sort());
  });

  // promtool checks the rules as Prometheus would load them; the project's script provides it (from Debian's `prometheus`, once).
  const promtool = () => execFileSync('bash', ['scripts/install-promtool.sh'], { encoding: 'utf8' }).trim().split('\n').at(-1)!;
  it('passes promtool check rules', { timeout: 120_000 }, () => {
    expect(execFileSync(promtool(), ['check', 'rules', ALERTS], { encoding: 'utf8' })).toMatch(/SUCCESS: \d+ rules found/);
  });
  it('fires each alert on the situation it is for, and not before (promtool test rules)', { timeout: 120_000 }, () => {
    expect(execFileSync(promtool(), ['test', 'rules', ALERT_TESTS], { encoding: 'utf8' })).toContain('SUCCESS');
  });
});
