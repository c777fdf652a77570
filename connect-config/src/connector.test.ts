import { describe, expect, it } from 'vitest';
import { loadStackEnv } from '@evergreen/platform';
import { outboxConnector, relayTopics } from './connector.ts';

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
    expect(relayTopics(loadStackEnv({})).map((topic) => topic.name)).toEqual(['evergreen.user', 'evergreen.user.retry', 'evergreen.user.dlq']);
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
    expect(relayTopics(values).map((topic) => topic.name)).toEqual(['other.user', 'other.user.retry', 'other.user.dlq']);
  });
});
