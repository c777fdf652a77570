import { instancePort, type StackConfig } from '@evergreen/platform';

/** A service the console watches: its /health, /ready and /metrics live under `url`. */
export interface ServiceEndpoint {
  name: string;
  url: string;
}

/** EVERGREEN_CONSOLE_SERVICES: `name=url,name=url`, to watch other services than the stack's own (a test's). */
export const SERVICES_VARIABLE = 'EVERGREEN_CONSOLE_SERVICES';

/** The services `npm start` runs, at the ports of the stack's configuration, or those the variable names. */
export function serviceEndpoints(config: StackConfig, listed: string | undefined): ServiceEndpoint[] {
  if (listed !== undefined && listed.trim() !== '') {
    return listed.split(',').map((entry) => {
      const [name, url] = entry.split('=', 2).map((part) => part.trim());
      if (!name || !url || !/^https?:\/\//.test(url)) throw new Error(`${SERVICES_VARIABLE}: "${entry}" is not name=http://host:port`);
      return { name, url: url.replace(/\/+$/, '') };
    });
  }
  const at = (port: number) => `http://${config.api.host}:${port}`;
  // Each consumer service once per instance of its group (two on the cluster profile), as the supervisor runs them.
  const instances = (name: string, port: number): ServiceEndpoint[] =>
    Array.from({ length: config.consumers.instances }, (_, index) => ({ name: index === 0 ? name : `${name}-${index + 1}`, url: at(instancePort(port, index + 1)) }));
  return [
    { name: 'registration-api', url: at(config.api.port) },
    ...instances('cache-populator', config.populator.port),
    ...instances('activity-log', config.activityLog.port),
    { name: 'relay-monitor', url: at(config.relayMonitor.port) },
    { name: 'order-service', url: at(config.orders.port) },
    ...instances('order-cache', config.orderCache.port),
  ];
}
