import type { BatchSpanProcessorOptions, Sampler } from '@opentelemetry/sdk-trace';

import type { Environment } from './setup.ts';

/** The configuration error of a malformed OTEL_* variable, naming it. */
export class TracingConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TracingConfigError';
  }
}

function ratioOf(env: Environment): number {
  const raw = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  if (raw === undefined || raw === '') return 1;
  const ratio = Number(raw);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) throw new TracingConfigError(`OTEL_TRACES_SAMPLER_ARG must be a ratio between 0 and 1, got ${JSON.stringify(raw)}`);
  return ratio;
}

/** The SDK's samplers (the SDK is loaded only when tracing is on: sdk.ts). */
export type Samplers = Pick<typeof import('@opentelemetry/sdk-trace'), 'AlwaysOnSampler' | 'AlwaysOffSampler' | 'ParentBasedSampler' | 'TraceIdRatioBasedSampler'>;

/**
 * The sampler OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG name, with the specification's
 * values and default (parentbased_always_on). SDK 3 no longer reads them itself; the variables
 * mean what they mean everywhere else.
 */
export function samplerFromEnv(env: Environment, { AlwaysOnSampler, AlwaysOffSampler, ParentBasedSampler, TraceIdRatioBasedSampler }: Samplers): Sampler {
  const name = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase() || 'parentbased_always_on';
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratioOf(env));
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratioOf(env)) });
    default:
      throw new TracingConfigError(`OTEL_TRACES_SAMPLER ${JSON.stringify(name)} is not one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio`);
  }
}

const BATCH_VARIABLES = {
  OTEL_BSP_SCHEDULE_DELAY: 'scheduledDelayMillis',
  OTEL_BSP_EXPORT_TIMEOUT: 'exportTimeoutMillis',
  OTEL_BSP_MAX_QUEUE_SIZE: 'maxQueueSize',
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: 'maxExportBatchSize',
} as const satisfies Record<string, keyof BatchSpanProcessorOptions>;

type BatchSettings = Partial<Pick<BatchSpanProcessorOptions, (typeof BATCH_VARIABLES)[keyof typeof BATCH_VARIABLES]>>;

/** The batch span processor's settings from OTEL_BSP_*; unset ones keep the SDK's defaults. */
export function batchOptionsFromEnv(env: Environment): BatchSettings {
  const settings: BatchSettings = {};
  for (const [variable, option] of Object.entries(BATCH_VARIABLES)) {
    const raw = env[variable]?.trim();
    if (raw === undefined || raw === '') continue;
    if (!/^\d{1,9}$/.test(raw) || Number(raw) === 0) throw new TracingConfigError(`${variable} must be a positive whole number, got ${JSON.stringify(raw)}`);
    settings[option] = Number(raw);
  }
  return settings;
}
