import { trace } from '@opentelemetry/api';
import type { TracerProvider as SdkTracerProvider } from '@opentelemetry/sdk-trace';
import { loadStackEnv } from '../config/env-file.ts';
import type { Logger } from '../logger/logger.ts';
import { createTracerProvider } from './sdk.ts';
import { ensureContextManager } from './trace-context.ts';

/** The variables tracing reads; process.env in a service. */
export type Environment = Readonly<Record<string, string | undefined>>;

export interface TracingOptions {
  /** service.name of every span this process exports, unless OTEL_SERVICE_NAME names it otherwise. */
  serviceName: string;
  /** Told whether tracing is on, and why not. */
  logger?: Pick<Logger, 'info'>;
}

export interface Tracing {
  /** Whether spans are recorded and exported: an OTLP endpoint is set and the SDK is not disabled. */
  readonly enabled: boolean;
  /** Exports what is still buffered and stops; call once on a graceful shutdown. A no-op when off. */
  shutdown(): Promise<void>;
}

/** Why tracing stays off for this environment, or undefined when it is on. */
export function tracingOffBecause(env: Environment): string | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return 'OTEL_SDK_DISABLED=true';
  if (env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none') return 'OTEL_TRACES_EXPORTER=none';
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim()) return 'no OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';
  return undefined;
}

/**
 * The OTEL_* settings of infra/stack.env (commented out there by default) joined to the process's
 * environment, where the exporter and the resource detector read them; a variable already in the
 * environment wins, as for every setting of the stack.
 */
function adoptStackSettings(): Environment {
  const settings = loadStackEnv();
  for (const [name, value] of Object.entries(settings)) {
    if (name.startsWith('OTEL_') && process.env[name] === undefined) process.env[name] = value;
  }
  return process.env;
}

let enabled = false;
let provider: SdkTracerProvider | undefined;

/**
 * Whether this process records spans. Checked before any span work on a hot path, so that with
 * tracing off a record costs one boolean read, not even the OpenTelemetry API's no-op objects.
 */
export function tracingEnabled(): boolean {
  return enabled;
}

/**
 * Sets up tracing for the process, once, in its main, before it takes work. The context manager
 * is always registered: a write carries its trace context to the outbox either way (see
 * docs/tracing.md). A tracer provider, with a batch processor and the OTLP/HTTP exporter, is
 * loaded and registered only when an OTLP endpoint is set; without one the OpenTelemetry API
 * stays the no-op it is by default, and nothing is loaded, buffered or sent. Rejects with a
 * TracingConfigError naming a malformed OTEL_* variable.
 */
export async function startTracing(options: TracingOptions): Promise<Tracing> {
  const env = adoptStackSettings();
  ensureContextManager();
  if (provider) return { enabled: true, shutdown: stopTracing };
  const offBecause = tracingOffBecause(env);
  if (offBecause !== undefined) {
    options.logger?.info({ tracing: false }, `tracing off: ${offBecause}`);
    return { enabled: false, shutdown: stopTracing };
  }
  provider = await createTracerProvider(options.serviceName, env);
  trace.setGlobalTracerProvider(provider);
  enabled = true;
  options.logger?.info({ tracing: true, serviceName: options.serviceName }, 'tracing on: spans exported over OTLP');
  return { enabled: true, shutdown: stopTracing };
}

/** Exports the spans still buffered and unregisters the provider; safe to call when tracing is off, and twice. */
export async function stopTracing(): Promise<void> {
  const stopping = provider;
  provider = undefined;
  enabled = false;
  if (!stopping) return;
  await stopping.shutdown();
  trace.disable();
}
