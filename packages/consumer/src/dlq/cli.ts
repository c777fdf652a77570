import { logLevel, Partitioners } from 'kafkajs';
import { EXIT, exitCodeOf } from '@evergreen/errors';
import { aggregateTopic, createKafka, loadStackConfig, type StackConfig } from '@evergreen/platform';
import { deadLetterTopic } from '../dead-letter.ts';
import { parseDlqArgs, USAGE, UsageError, type DlqCommand } from './args.ts';
import { deadLetterTopicsOf, listDeadLetters, replayDeadLetters, type DlqClients } from './commands.ts';
import { parkWith } from './park-record.ts';
import { formatPosition } from './stored.ts';

// `npm run dlq -- list|replay ...` (see USAGE). Lines go to stdout; counts and failures to stderr.

// Reading a dead-letter topic to its end is quick; a minute means the broker is away.
const TIMEOUT_MS = 60_000;

/**
 * The dead-letter topics a command works on: the one named (--topic), the aggregate's (--aggregate),
 * or every aggregate's of the stack's prefix, as the broker has them: the framework knows no
 * aggregate of its own.
 */
async function topicsOf(command: Exclude<DlqCommand, { kind: 'help' | 'park' }>, clients: DlqClients, config: Pick<StackConfig, 'topics'>): Promise<string[]> {
  if (command.topic !== undefined) return [command.topic];
  if (command.aggregate !== undefined) return [deadLetterTopic(aggregateTopic(config, command.aggregate))];
  const found = await deadLetterTopicsOf(clients.admin, config.topics.prefix);
  if (found.length === 0) throw new Error(`no dead-letter topic ${config.topics.prefix}.<aggregate>.dlq exists; \`npm run connect:apply\` creates them`);
  if (command.kind === 'replay' && found.length > 1) throw new Error(`${found.length} dead-letter topics (${found.join(', ')}): name the aggregate with --aggregate <type>`);
  return found;
}

async function park(command: Extract<DlqCommand, { kind: 'park' }>, clients: DlqClients): Promise<void> {
  const outcome = await parkWith(clients, command, { waitMs: command.waitMs });
  const where = `${command.topic}:${command.partition}:${command.offset}`;
  const moved = BigInt(outcome.committed) > BigInt(command.offset);
  console.log(
    `parked ${where} for ${command.group}: it is in ${deadLetterTopic(command.topic)} with reason parked; ${moved ? `the group moved on (committed offset ${outcome.committed})` : `the group has not committed past it yet (offset ${outcome.committed}): is another record of the partition being retried? See its /ready`}`,
  );
}

async function run(command: Exclude<DlqCommand, { kind: 'help' | 'park' }>, clients: DlqClients, topics: string[]): Promise<void> {
  if (command.kind === 'list') {
    for (const topic of topics) {
      const { lines, total } = await listDeadLetters(clients, topic, command.limit);
      for (const line of lines) console.log(line);
      console.error(`[dlq] ${total} dead letter(s) on ${topic}${lines.length < total ? `, the newest ${lines.length} shown` : ''}`);
    }
    return;
  }
  const topic = topics[0] as string;
  const replayed = await replayDeadLetters(clients, topic, command.positions, { group: command.group, allowOld: command.allowOld });
  for (const entry of replayed) console.log(`${formatPosition(entry.from)} -> ${entry.topic}/${entry.partition}@${entry.offset} for ${entry.group}`);
  console.error(`[dlq] replayed ${replayed.length} dead letter(s) from ${topic} to the groups that refused them`);
}

let command: DlqCommand;
try {
  command = parseDlqArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`[dlq] ${error.message}\n\n${USAGE}`);
  process.exit(EXIT.USAGE);
}

if (command.kind === 'help') {
  console.log(USAGE);
} else {
  const config = loadStackConfig();
  const kafka = createKafka({ clientId: 'evergreen-dlq', brokers: config.kafka.brokers, logLevel: logLevel.ERROR });
  const clients: DlqClients = {
    kafka,
    admin: kafka.admin(),
    producer: kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner }),
    timeoutMs: TIMEOUT_MS,
  };
  try {
    await clients.admin.connect();
    if (command.kind === 'replay') await clients.producer.connect();
    if (command.kind === 'park') await park(command, clients);
    else await run(command, clients, await topicsOf(command, clients, config));
  } catch (error) {
    const code = exitCodeOf(error);
    console.error(`[dlq] ${code === EXIT.REFUSED ? 'REFUSED' : 'FAILED'}: ${(error as Error).message}`);
    process.exitCode = code;
  } finally {
    await Promise.all([clients.admin.disconnect(), clients.producer.disconnect()]);
  }
}
