import { parseArgs } from 'node:util';
import { parsePosition } from './positions.ts';
import { comparePositions, formatPosition, type DlqPosition } from './stored.ts';

export type DlqCommand =
  | { kind: 'help' }
  /** `limit`: only the newest that many. */
  | { kind: 'list'; topic: string | undefined; aggregate: string | undefined; limit: number | undefined }
  /** `group`: the group to replay to when a dead letter does not name one; `allowOld`: skip the age check. */
  | { kind: 'replay'; topic: string | undefined; aggregate: string | undefined; positions: DlqPosition[]; group: string | undefined; allowOld: boolean }
  /** `waitMs`: how long the group has to move past the record before the park is withdrawn. */
  | { kind: 'park'; group: string; topic: string; partition: number; offset: string; waitMs: number };

export const USAGE = `usage:
  npm run dlq -- list [--aggregate <type> | --topic <dlq topic>] [--limit <n>]
      one line per dead letter, oldest first: its partition:offset, reason, original
      topic/partition@offset, the group that refused it, key, event type and error;
      --limit shows only the newest n
  npm run dlq -- replay <partition>:<offset> [...] [--aggregate <type> | --topic <dlq topic>] [--group <group id>] [--allow-old]
      hands those dead letters back to the consumer group that refused them (dlq.group): onto the
      retry topic <topic>.retry, with their original key, value and headers (without the dlq.*
      ones) and a retry.group header naming the group; only that group applies them. Never onto
      the original (compacted) topic. In dead-letter order.
      --group      the group to replay to, for dead letters without a dlq.group header (refused
                   without it); it must agree with dlq.group where there is one
      --allow-old  replay events older than the deletion-marker TTL minus the retry topic's
                   retention too (refused by default: they could bring a deleted entry back)

  npm run dlq -- park <group id> <topic>:<partition>:<offset> [--wait-seconds <n>]
      moves the record a consumer group is stuck on (its /ready and logs name it) to the
      dead-letter topic, with reason parked, and lets the partition go on. Refused, with nothing
      changed, unless a member of the group runs and has not passed that record; withdrawn and
      refused if the group does not move past it within --wait-seconds (default 30): it was not
      retrying that record. Replay it later like any dead letter.

exit codes: 0 done; 1 failed; 2 usage; 3 refused (nothing changed); 4 Kafka did not answer.

--aggregate names the aggregate whose dead letters to read (<EVERGREEN_TOPIC_PREFIX>.<type>.dlq).
Without it or --topic, list reads every aggregate's dead-letter topic of the prefix, and replay the
only one there is (it asks for --aggregate when there are several).`;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function limitOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,9}$/.test(text) || Number(text) === 0) throw new UsageError(`--limit must be a positive whole number, got "${text}"`);
  return Number(text);
}

/** The command line after `npm run dlq --`. Throws UsageError for anything it cannot read. */
export function parseDlqArgs(argv: readonly string[]): DlqCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        topic: { type: 'string' },
        aggregate: { type: 'string' },
        limit: { type: 'string' },
        group: { type: 'string' },
        'allow-old': { type: 'boolean' },
        'wait-seconds': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === 'help') return { kind: 'help' };
  if (values.topic !== undefined && values.topic.trim() === '') throw new UsageError('--topic must name a topic');
  if (values.group !== undefined && values.group.trim() === '') throw new UsageError('--group must name a consumer group');
  if (values.aggregate !== undefined && !/^[a-z][a-z0-9-]*$/.test(values.aggregate)) throw new UsageError(`--aggregate must name an aggregate type (like user), got "${values.aggregate}"`);
  if (values.aggregate !== undefined && values.topic !== undefined) throw new UsageError('--aggregate and --topic both name the topic: give one');

  if (command !== 'park' && values['wait-seconds'] !== undefined) throw new UsageError('--wait-seconds is for park');
  if (command === 'park') return parkCommand(rest, values);
  if (command === 'list') {
    if (rest.length > 0) throw new UsageError(`list takes no positions, got ${rest.join(' ')}`);
    if (values.group !== undefined || values['allow-old'] !== undefined) throw new UsageError('--group and --allow-old are for replay');
    return { kind: 'list', topic: values.topic, aggregate: values.aggregate, limit: limitOf(values.limit) };
  }
  if (command === 'replay') {
    if (values.limit !== undefined) throw new UsageError('--limit is for list');
    if (rest.length === 0) throw new UsageError('replay needs at least one <partition>:<offset>');
    const positions = rest.map((text) => {
      const position = parsePosition(text);
      if (!position) throw new UsageError(`"${text}" is not <partition>:<offset> (e.g. 2:17)`);
      return position;
    });
    // Each dead letter once, in dead-letter order, whatever order they were named in.
    const unique = new Map(positions.map((position) => [formatPosition(position), position]));
    return { kind: 'replay', topic: values.topic, aggregate: values.aggregate, positions: [...unique.values()].sort(comparePositions), group: values.group, allowOld: values['allow-old'] ?? false };
  }
  throw new UsageError(command === undefined ? 'name a command: list, replay or park' : `unknown command "${command}"`);
}

// A Kafka topic name is letters, digits, '.', '_' and '-': the colons after it are the position's.
const PARK_TARGET = /^([a-zA-Z0-9._-]{1,249}):(\d{1,9}):(\d{1,19})$/;

function parkCommand(rest: readonly string[], values: { topic?: string; aggregate?: string; limit?: string; group?: string; 'allow-old'?: boolean; 'wait-seconds'?: string }): DlqCommand {
  const stray = (['topic', 'aggregate', 'limit', 'group', 'allow-old'] as const).filter((option) => values[option] !== undefined);
  if (stray.length > 0) throw new UsageError(`park takes its group and record as arguments, not ${stray.map((option) => `--${option}`).join(', ')}`);
  const [group, target, ...extra] = rest;
  if (group === undefined || target === undefined || extra.length > 0) throw new UsageError('park needs exactly <group id> <topic>:<partition>:<offset>');
  if (group.trim() === '') throw new UsageError('park needs a consumer group id');
  const match = PARK_TARGET.exec(target);
  if (!match) throw new UsageError(`"${target}" is not <topic>:<partition>:<offset> (e.g. evergreen.user:4:1702)`);
  const seconds = values['wait-seconds'] ?? '30';
  if (!/^\d{1,4}$/.test(seconds) || Number(seconds) === 0) throw new UsageError(`--wait-seconds must be a whole number of seconds from 1 to 9999, got "${seconds}"`);
  return { kind: 'park', group, topic: match[1] as string, partition: Number(match[2]), offset: BigInt(match[3] as string).toString(), waitMs: Number(seconds) * 1_000 };
}
