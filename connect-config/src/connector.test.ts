import { describe, expect, it } from 'vitest';
import { loadStackEnv } from '@evergreen/platform';
import { outboxConnector, outboxConnectors, relayTopics } from './connector.ts';

describe('the outbox connector', () => {
  it('keeps its name, slot and publication by default (infra/stack.env)', () => {
    const connector = outboxConnector(loadStackEnv({}));

    expect(connector.name).toBe('evergreen-outbox');
    expect(connector.config).toMatchObject({
      'slot.name': 'evergreen_outbox',
      'publication.name': 'evergreen_outbox',
      'database.dbname': 'evergreen',
      'topic.prefix': 'evergreen',
      'transforms.outbox.route.topic.replacement': 'evergreen.${routedByValue}',
    });
    expect(relayTopics(loadStackEnv({})).map((topic) => topic.name)).toEqual(['evergreen.user', 'evergreen.user.retry', 'evergreen.user.dlq', 'evergreen.order', 'evergreen.order.retry', 'evergreen.order.dlq']);
  });

  it('takes a name, a slot, a database and topics of its own in another namespace', () => {
    const values = loadStackEnv({
      EVERGREEN_CONNECTOR_NAME: 'other-outbox',
      EVERGREEN_SLOT_NAME: 'other_outbox',
      EVERGREEN_PG_DATABASE: 'other',
      EVERGREEN_TOPIC_PREFIX: 'other',
    });
    const connector = outboxConnector(values);

    expect(connector.name).toBe('other-outbox');
    // The publication is created by the outbox migration in each database, under the same name.
    expect(connector.config).toMatchObject({ 'slot.name': 'other_outbox', 'publication.name': 'evergreen_outbox', 'database.dbname': 'other', 'topic.prefix': 'other' });
    expect(relayTopics(values).map((topic) => topic.name)).toEqual(['other.user', 'other.user.retry', 'other.user.dlq', 'other.order', 'other.order.retry', 'other.order.dlq']);
  });

  it("is one per database: the order service's database gets a connector and slot of its own, routing the same way", () => {
    const connectors = outboxConnectors(loadStackEnv({ EVERGREEN_ORDERS_PG_DATABASE: 'shop', EVERGREEN_ORDERS_CONNECTOR_NAME: 'shop-outbox', EVERGREEN_ORDERS_SLOT_NAME: 'shop_outbox' }));

    // A Debezium server name (topic.prefix) of its own too: two connectors of one Connect with the same one never stream.
    expect(connectors.map((connector) => [connector.name, connector.config['database.dbname'], connector.config['slot.name'], connector.config['topic.prefix']])).toEqual([
      ['evergreen-outbox', 'evergreen', 'evergreen_outbox', 'evergreen'],
      ['shop-outbox', 'shop', 'shop_outbox', 'evergreen-orders'],
    ]);
    for (const connector of connectors) expect(connector.config['transforms.outbox.route.topic.replacement']).toBe('evergreen.${routedByValue}');
  });
});
