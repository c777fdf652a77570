import type { IHeaders, KafkaMessage, Producer } from 'kafkajs';
import type { PoisonRecordError } from './poison.ts';

export const deadLetterTopic = (topic: string) => `${topic}.dlq`;

/**
 * Publishes a poison record to <topic>.dlq with its original key, value and headers, plus
 * headers saying why and where it came from, so it can be inspected and replayed.
 */
export async function sendToDeadLetter(
  producer: Producer,
  source: { topic: string; partition: number; message: KafkaMessage },
  error: PoisonRecordError,
): Promise<void> {
  const headers: IHeaders = {
    ...source.message.headers,
    'dlq.reason': error.reason,
    'dlq.error': error.message.slice(0, 1_000),
    'dlq.topic': source.topic,
    'dlq.partition': String(source.partition),
    'dlq.offset': source.message.offset,
    'dlq.at': new Date().toISOString(),
  };
  await producer.send({
    topic: deadLetterTopic(source.topic),
    acks: -1,
    messages: [{ key: source.message.key, value: source.message.value, headers }],
  });
}
