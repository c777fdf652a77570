import { describe, expect, it } from 'vitest';
import * as sdk from '@opentelemetry/sdk-trace';
import { batchOptionsFromEnv, samplerFromEnv, TracingConfigError } from './env.ts';
import { tracingOffBecause } from './setup.ts';

describe('tracingOffBecause', () => {
  it('is off without an OTLP endpoint, on with either variable', () => {
    expect(tracingOffBecause({})).toMatch(/no OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(tracingOffBecause({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' })).toBeDefined();
    expect(tracingOffBecause({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBeUndefined();
    expect(tracingOffBecause({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' })).toBeUndefined();
  });

  it('honours the specification\'s switches over an endpoint', () => {
    expect(tracingOffBecause({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318', OTEL_SDK_DISABLED: 'TRUE' })).toBe('OTEL_SDK_DISABLED=true');
    expect(tracingOffBecause({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318', OTEL_TRACES_EXPORTER: 'none' })).toBe('OTEL_TRACES_EXPORTER=none');
  });
});

describe('samplerFromEnv', () => {
  it.each([
    [undefined, 'ParentBased{root=AlwaysOnSampler'],
    ['always_off', 'AlwaysOffSampler'],
    ['traceidratio', 'TraceIdRatioBased{0.25}'],
    ['parentbased_traceidratio', 'ParentBased{root=TraceIdRatioBased{0.25}'],
  ])('OTEL_TRACES_SAMPLER=%s', (name, expected) => {
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: name, OTEL_TRACES_SAMPLER_ARG: '0.25' }, sdk).toString()).toContain(expected);
  });

  it('refuses an unknown sampler or a ratio outside [0, 1], naming the variable', () => {
    expect(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'sometimes' }, sdk)).toThrow(/OTEL_TRACES_SAMPLER "sometimes"/);
    expect(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' }, sdk)).toThrow(TracingConfigError);
  });
});

describe('batchOptionsFromEnv', () => {
  it('maps OTEL_BSP_* onto the batch processor, leaving unset ones to the SDK', () => {
    expect(batchOptionsFromEnv({ OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '64' })).toEqual({ scheduledDelayMillis: 100, maxExportBatchSize: 64 });
    expect(batchOptionsFromEnv({})).toEqual({});
  });

  it('refuses what is not a positive whole number, naming the variable', () => {
    expect(() => batchOptionsFromEnv({ OTEL_BSP_SCHEDULE_DELAY: '1s' })).toThrow(/OTEL_BSP_SCHEDULE_DELAY/);
    expect(() => batchOptionsFromEnv({ OTEL_BSP_MAX_QUEUE_SIZE: '0' })).toThrow(/OTEL_BSP_MAX_QUEUE_SIZE/);
  });
});
