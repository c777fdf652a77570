import { instancePort, type StackConfig } from '@evergreen/platform';
import type { ServiceSpec } from './supervisor.ts';

type ConsumerService = 'populator' | 'activityLog' | 'orderCache';

/**
 * The consumer services that scale out as instances of one consumer group (the group shares the
 * partitions), with the settings of each one's ops port and its variable. The API, the order
 * service and the relay monitor run once here.
 */
const CONSUMER_SERVICES: Record<string, { settings: ConsumerService; variable: string }> = {
  'cache-populator': { settings: 'populator', variable: 'EVERGREEN_POPULATOR_PORT' },
  'activity-log': { settings: 'activityLog', variable: 'EVERGREEN_ACTIVITY_LOG_PORT' },
  'order-cache': { settings: 'orderCache', variable: 'EVERGREEN_ORDER_CACHE_PORT' },
};


/**
 * Each consumer service as `config.consumers.instances` processes in one group (EVERGREEN_CONSUMER_INSTANCES;
 * the cluster profile's two), the second and later named `<service>-<n>` and given ops ports of their own.
 */
export function withConsumerInstances(specs: ServiceSpec[], config: Pick<StackConfig, 'consumers' | ConsumerService>): ServiceSpec[] {
  return specs.flatMap((spec) => {
    const service = CONSUMER_SERVICES[spec.name];
    if (!service || config.consumers.instances === 1) return [spec];
    return Array.from({ length: config.consumers.instances }, (_, index) => {
      const instance = index + 1;
      if (instance === 1) return spec;
      return { ...spec, name: `${spec.name}-${instance}`, env: { ...spec.env, [service.variable]: String(instancePort(config[service.settings].port, instance)) } };
    });
  });
}
