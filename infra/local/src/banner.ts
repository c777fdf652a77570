import { logFile } from './layout.ts';
import type { LocalStack } from './stack.ts';

/** What `npm start` prints before the services take over the terminal. */
export function banner(stack: LocalStack): string {
  const { config } = stack;
  const lines = [
    '',
    'Evergreen is starting its services. The stack:',
    ...stack.components.map((component) => `  ${component.name.padEnd(9)} ${component.endpoint.padEnd(50)} log: ${logFile(stack.layout, component.name)}`),
    `  api       ${config.api.url}`,
    `  populator http://${config.api.host}:${config.populator.port}/health`,
    `  activity  http://${config.api.host}:${config.activityLog.port}/health`,
    `  relay     http://${config.api.host}:${config.relayMonitor.port}/ready   (the relay monitor: connector, slot lag, WAL status; /metrics)`,
    `  orders    http://${config.api.host}:${config.orders.port}/ready   (the order service: ready once its replica of the users caught up)`,
    `  ordercache http://${config.api.host}:${config.orderCache.port}/health  (orders and each user's order ids in Redis)`,
    `  console   ${config.console.url}   (the operator console: components, relay, lag, latency, dead letters, drift, schemas${process.env.EVERGREEN_CONSOLE_TOKEN ? '' : '; read-only until EVERGREEN_CONSOLE_TOKEN is set'})`,
    '',
    'Register a user:',
    `  curl -s -X POST ${config.api.url}/users -H 'content-type: application/json' -d '{"email":"ada@example.com","name":"Ada Lovelace","avatarUrl":"https://example.com/ada.png"}'`,
    'then read its cache entry (the id is in the answer):',
    // -c: a Redis Cluster node redirects to the node that holds the key's slot.
    `  redis-cli ${config.redis.nodes.length > 0 ? '-c ' : ''}-p ${config.redis.port}${config.redis.db === 0 ? '' : ` -n ${config.redis.db}`} HGETALL evergreen:user:<id>`,
    'or through the API, at least as fresh as the version the write answered:',
    `  curl -si '${config.api.url}/users/<id>?minVersion=1'`,
    `The API's OpenAPI document: ${config.api.url}/docs`,
    'and its line in the activity log, the second consumer group:',
    `  PGPASSWORD=${config.postgres.password} psql -h ${config.postgres.host} -p ${config.postgres.port} -U ${config.postgres.user} ${config.postgres.database} -c 'SELECT * FROM user_activity ORDER BY recorded_at DESC LIMIT 5'`,
    'Order for that user (checked against the order service\'s own replica of the users):',
    `  curl -s -X POST http://${config.api.host}:${config.orders.port}/orders -H 'content-type: application/json' -d '{"userId":"<id>","currency":"EUR","items":[{"sku":"tea","quantity":2,"unitPriceCents":450}]}'`,
    '',
  ];
  return lines.join('\n');
}
