import { Counter, Histogram, type Registry } from 'prom-client';
import { processMetricsRegistry } from '@evergreen/platform';

/** The API's Prometheus metrics, served at /metrics. */
export class ApiMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'route' | 'status_code'>;
  readonly requestSeconds: Histogram<'method' | 'route' | 'status_code'>;
  readonly outboxEvents: Counter<'event_type'>;
  readonly idempotentReplays: Counter<'method' | 'route'>;

  constructor(registry: Registry = processMetricsRegistry()) {
    this.registry = registry;
    const registers = [registry];
    this.requests = new Counter({
      name: 'evergreen_api_requests_total',
      help: 'HTTP requests answered, by method, route pattern (never the raw URL) and status code.',
      labelNames: ['method', 'route', 'status_code'],
      registers,
    });
    this.requestSeconds = new Histogram({
      name: 'evergreen_api_request_seconds',
      help: 'Time from receiving a request to sending its answer, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.outboxEvents = new Counter({
      name: 'evergreen_api_outbox_events_total',
      help: 'Events written to the outbox in committed transactions, by event type.',
      labelNames: ['event_type'],
      registers,
    });
    this.idempotentReplays = new Counter({
      name: 'evergreen_api_idempotent_replays_total',
      help: 'Writes answered from the record of their Idempotency-Key (a retry of a request already answered), by method and route pattern.',
      labelNames: ['method', 'route'],
      registers,
    });
  }
}
