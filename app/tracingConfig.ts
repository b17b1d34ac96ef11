import type { FieldError } from '../runtime/errors.ts';

/** OpenTelemetry traces, from the standard `OTEL_*` variables; `exporter: 'none'` (the default) loads no SDK at all. */
export type TracingConfig = Readonly<{
  exporter: 'otlp' | 'none';
  /** `OTEL_SERVICE_NAME`; by default `xsaga-<roles>`, so that each process of a deployment is told apart. */
  serviceName: string;
  /** Where spans are sent, OTLP over HTTP with the JSON encoding. */
  endpoint: string;
  /** `OTEL_BSP_SCHEDULE_DELAY`: how long finished spans wait to be sent together. */
  scheduledDelayMs: number;
}>;

type Env = Readonly<Record<string, string | undefined>>;

const HTTP_URL = /^https?:\/\/[^\s]+$/;
const DEFAULT_ENDPOINT = 'http://localhost:4318';

/**
 * Reads the tracing variables of the OpenTelemetry specification that xsaga honours; a bad value
 * joins `errors`. The exporter reads the rest of its own (`OTEL_EXPORTER_OTLP_HEADERS`, `…_TIMEOUT`, …).
 */
export function readTracingConfig(env: Env, roles: readonly string[], allRoles: readonly string[], errors: FieldError[]): TracingConfig {
  const raw = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const disabled = raw('OTEL_SDK_DISABLED')?.toLowerCase() === 'true';
  const exporter = raw('OTEL_TRACES_EXPORTER') ?? 'none';
  if (exporter !== 'otlp' && exporter !== 'none') errors.push({ field: 'OTEL_TRACES_EXPORTER', detail: `must be otlp or none, got "${exporter}"` });
  const protocolVariable = raw('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = raw(protocolVariable);
  if (exporter === 'otlp' && protocol !== undefined && protocol !== 'http/json') {
    errors.push({ field: protocolVariable, detail: `must be http/json, the only OTLP encoding xsaga sends, got "${protocol}"` });
  }
  const endpoint = tracesEndpoint(raw('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'), raw('OTEL_EXPORTER_OTLP_ENDPOINT'), errors);
  const delay = raw('OTEL_BSP_SCHEDULE_DELAY') ?? '5000';
  const scheduledDelayMs = Number(delay);
  if (!Number.isInteger(scheduledDelayMs) || scheduledDelayMs < 0 || scheduledDelayMs > 3_600_000) {
    errors.push({ field: 'OTEL_BSP_SCHEDULE_DELAY', detail: `must be a whole number of milliseconds from 0 to 3600000, got "${delay}"` });
  }
  const everyRole = allRoles.every((role) => roles.includes(role));
  return {
    exporter: disabled || exporter !== 'otlp' ? 'none' : 'otlp',
    serviceName: raw('OTEL_SERVICE_NAME') ?? (everyRole || roles.length === 0 ? 'xsaga' : `xsaga-${roles.join('-')}`),
    endpoint,
    scheduledDelayMs,
  };
}

/** The traces URL: the signal's own variable as it is, else the base endpoint with `/v1/traces`, as the specification says. */
function tracesEndpoint(tracesUrl: string | undefined, baseUrl: string | undefined, errors: FieldError[]): string {
  if (tracesUrl !== undefined) {
    if (!HTTP_URL.test(tracesUrl)) errors.push({ field: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', detail: `must be an http(s):// URL, got "${tracesUrl}"` });
    return tracesUrl;
  }
  if (baseUrl !== undefined && !HTTP_URL.test(baseUrl)) errors.push({ field: 'OTEL_EXPORTER_OTLP_ENDPOINT', detail: `must be an http(s):// URL, got "${baseUrl}"` });
  return `${(baseUrl ?? DEFAULT_ENDPOINT).replace(/\/+$/, '')}/v1/traces`;
}
