import type { TracerProvider } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { batchOptionsFromEnv, samplerFromEnv } from './env.ts';
import type { Environment } from './setup.ts';

/**
 * A tracer provider exporting over OTLP/HTTP in batches, as the OTEL_* variables of `env` say.
 * The SDK, the resource detectors and the exporter are imported here, dynamically, only when
 * tracing is on: loading them takes a few hundred milliseconds of a service's start, which a
 * service without a collector does not pay (the build keeps a dynamic import of a package lazy).
 */
export async function createTracerProvider(serviceName: string, env: Environment): Promise<TracerProvider> {
  const [{ OTLPTraceExporter }, { detectResources, envDetector, resourceFromAttributes }, sdk] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace'),
  ]);
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the name the service gives itself.
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }).merge(detectResources({ detectors: [envDetector] }));
  return new sdk.TracerProvider({
    resource,
    sampler: samplerFromEnv(env, sdk),
    // The exporter reads its endpoint, headers, timeout and compression from OTEL_EXPORTER_OTLP_*.
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter: new OTLPTraceExporter(), ...batchOptionsFromEnv(env) })],
  });
}
