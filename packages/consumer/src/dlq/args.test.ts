import { describe, expect, it } from 'vitest';
import { parseDlqArgs, UsageError } from './args.ts';

describe('parseDlqArgs', () => {
  it('reads list, with its topic and limit when given', () => {
    expect(parseDlqArgs(['list'])).toEqual({ kind: 'list', topic: undefined, aggregate: undefined, limit: undefined });
    expect(parseDlqArgs(['list', '--topic', 'evergreen.user.dlq', '--limit', '20'])).toEqual({ kind: 'list', topic: 'evergreen.user.dlq', aggregate: undefined, limit: 20 });
    expect(parseDlqArgs(['--limit=3', 'list'])).toEqual({ kind: 'list', topic: undefined, aggregate: undefined, limit: 3 });
  });

  it("reads the aggregate whose dead letters to work on", () => {
    expect(parseDlqArgs(['list', '--aggregate', 'order'])).toMatchObject({ kind: 'list', topic: undefined, aggregate: 'order' });
    expect(parseDlqArgs(['replay', '1:2', '--aggregate=user'])).toMatchObject({ kind: 'replay', topic: undefined, aggregate: 'user' });
  });

  it('reads replay with its positions, each once, in dead-letter order', () => {
    expect(parseDlqArgs(['replay', '4:3', '2:17', '2:9', '4:3', '--topic', 'x.dlq'])).toEqual({
      kind: 'replay',
      topic: 'x.dlq',
      aggregate: undefined,
      positions: [
        { partition: 2, offset: '9' },
        { partition: 2, offset: '17' },
        { partition: 4, offset: '3' },
      ],
      group: undefined,
      allowOld: false,
    });
  });

  it('reads the group to replay to and --allow-old', () => {
    expect(parseDlqArgs(['replay', '2:17', '--group', 'evergreen-activity-log', '--allow-old'])).toEqual({
      kind: 'replay',
      topic: undefined,
      aggregate: undefined,
      positions: [{ partition: 2, offset: '17' }],
      group: 'evergreen-activity-log',
      allowOld: true,
    });
  });

  it('reads park: the group, then the topic, partition and offset of the record, and how long to wait', () => {
    expect(parseDlqArgs(['park', 'evergreen-activity-log.g2', 'evergreen.user:4:001702'])).toEqual({ kind: 'park', group: 'evergreen-activity-log.g2', topic: 'evergreen.user', partition: 4, offset: '1702', waitMs: 30_000 });
    expect(parseDlqArgs(['park', 'g', 'evergreen-e2e.user.retry:0:9', '--wait-seconds', '5'])).toMatchObject({ topic: 'evergreen-e2e.user.retry', partition: 0, offset: '9', waitMs: 5_000 });
  });

  it('answers help', () => {
    expect(parseDlqArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseDlqArgs(['help'])).toEqual({ kind: 'help' });
    expect(parseDlqArgs(['replay', '-h'])).toEqual({ kind: 'help' });
  });

  it.each<[string, string[], string]>([
    ['no command', [], 'name a command'],
    ['an unknown command', ['purge'], 'unknown command "purge"'],
    ['an unknown option', ['list', '--follow'], "Unknown option '--follow'"],
    ['a limit of zero', ['list', '--limit', '0'], '--limit must be a positive whole number'],
    ['a limit that is not a number', ['list', '--limit', 'ten'], '--limit must be a positive whole number'],
    ['a negative limit', ['list', '--limit=-3'], '--limit must be a positive whole number'],
    ['positions for list', ['list', '2:17'], 'list takes no positions'],
    ['replay without positions', ['replay'], 'at least one'],
    ['replay with a limit', ['replay', '2:17', '--limit', '1'], '--limit is for list'],
    ['a position that is not partition:offset', ['replay', '2:17', '17'], '"17" is not <partition>:<offset>'],
    ['an empty topic', ['list', '--topic', ''], '--topic must name a topic'],
    ['an empty group', ['replay', '2:17', '--group', ' '], '--group must name a consumer group'],
    ['a group for list', ['list', '--group', 'g'], '--group and --allow-old are for replay'],
    ['--allow-old for list', ['list', '--allow-old'], '--group and --allow-old are for replay'],
    ['an aggregate that is no type name', ['list', '--aggregate', 'User!'], '--aggregate must name an aggregate type'],
    ['both an aggregate and a topic', ['list', '--aggregate', 'user', '--topic', 'x.dlq'], '--aggregate and --topic both name the topic'],
    ['park without a record', ['park', 'evergreen-cache-populator'], 'park needs exactly <group id> <topic>:<partition>:<offset>'],
    ['park with a record that is only partition:offset', ['park', 'g', '4:1702'], '"4:1702" is not <topic>:<partition>:<offset>'],
    ['park with a negative offset', ['park', 'g', 'evergreen.user:4:-1'], 'is not <topic>:<partition>:<offset>'],
    ['park with a topic Kafka cannot name', ['park', 'g', 'ever green:4:1'], 'is not <topic>:<partition>:<offset>'],
    ['park with two records', ['park', 'g', 'evergreen.user:4:1', 'evergreen.user:4:2'], 'park needs exactly'],
    ['park with --topic', ['park', 'g', 'evergreen.user:4:1', '--topic', 'evergreen.user'], 'not --topic'],
    ['park waiting no time', ['park', 'g', 'evergreen.user:4:1', '--wait-seconds', '0'], '--wait-seconds must be a whole number'],
    ['--wait-seconds for list', ['list', '--wait-seconds', '5'], '--wait-seconds is for park'],
  ])('refuses %s', (_case, argv, message) => {
    expect(() => parseDlqArgs(argv)).toThrow(UsageError);
    expect(() => parseDlqArgs(argv)).toThrow(message);
  });
});
