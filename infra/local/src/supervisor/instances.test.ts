import { describe, expect, it } from 'vitest';
import { loadStackConfig } from '@evergreen/platform';
import { withConsumerInstances } from './instances.ts';
import type { ServiceSpec } from './supervisor.ts';

const spec = (name: string): ServiceSpec => ({ name, cwd: '/', command: 'node', args: ['dist/main.js'] });
const services = ['registration-api', 'cache-populator', 'activity-log', 'order-cache', 'relay-monitor'].map(spec);

describe('withConsumerInstances', () => {
  it('runs every service once on the single profile', () => {
    expect(withConsumerInstances(services, loadStackConfig({}))).toEqual(services);
  });

  it('runs each consumer service twice on the cluster profile, the second on an ops port of its own', () => {
    const scaled = withConsumerInstances(services, loadStackConfig({ EVERGREEN_STACK_PROFILE: 'cluster' }));

    expect(scaled.map((service) => service.name)).toEqual([
      'registration-api',
      'cache-populator',
      'cache-populator-2',
      'activity-log',
      'activity-log-2',
      'order-cache',
      'order-cache-2',
      'relay-monitor',
    ]);
    expect(scaled.find((service) => service.name === 'cache-populator-2')?.env).toEqual({ EVERGREEN_POPULATOR_PORT: '3111' });
    expect(scaled.find((service) => service.name === 'order-cache-2')?.env).toEqual({ EVERGREEN_ORDER_CACHE_PORT: '3115' });
    expect(scaled.find((service) => service.name === 'cache-populator')?.env).toBeUndefined();
  });
});
