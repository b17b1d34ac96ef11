import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.ts';

describe('tracing configuration (OTEL_*)', () => {
  it('is off by default, named after the roles', () => {
    expect(loadConfig({}).tracing).toMatchObject({ exporter: 'none', serviceName: 'xsaga', endpoint: 'http://localhost:4318/v1/traces', scheduledDelayMs: 5000 });
    expect(loadConfig({}, { roles: ['worker'] }).tracing.serviceName).toBe('xsaga-worker');
    expect(loadConfig({ XSAGA_ROLES: 'participants,projector' }).tracing.serviceName).toBe('xsaga-participants-projector');
  });

  it('takes the traces endpoint as it is, and the base endpoint with /v1/traces', () => {
    const on = { OTEL_TRACES_EXPORTER: 'otlp', OTEL_SERVICE_NAME: 'shop', OTEL_BSP_SCHEDULE_DELAY: '100' };
    expect(loadConfig({ ...on, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({
      exporter: 'otlp',
      serviceName: 'shop',
      endpoint: 'http://collector:4318/v1/traces',
      scheduledDelayMs: 100,
    });
    expect(loadConfig({ ...on, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:1', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:2/custom' }).tracing.endpoint).toBe('http://b:2/custom');
    expect(loadConfig({ ...on, OTEL_SDK_DISABLED: 'true' }).tracing.exporter).toBe('none');
  });

  it('refuses an exporter, a protocol or an endpoint it cannot honour, naming the variable', () => {
    expect(() => loadConfig({ OTEL_TRACES_EXPORTER: 'jaeger' })).toThrow(/OTEL_TRACES_EXPORTER must be otlp or none/);
    expect(() => loadConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL must be http\/json/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT must be an http/);
  });
});
