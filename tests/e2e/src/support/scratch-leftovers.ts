import { logLevel } from 'kafkajs';
import { createKafka, type StackConfig } from '@evergreen/platform';

/**
 * What single tests create beside the namespace, named `e2e-<random>`: ScratchTopic's topics
 * (`e2e-<8 hex>.user`, `.retry`, `.dlq`) and their schema subjects, the schema-evolution suite's
 * subjects (`e2e-<uuid>-<record>`), and throw-away consumer groups (`e2e-<uuid>`). Each test removes
 * its own; this finds what a run killed halfway left in the stack the demo shares.
 */
const SCRATCH_NAME = /^e2e-[0-9a-f]{8}(?:-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?(?:[.-]|$)/;

export const isScratchName = (name: string): boolean => SCRATCH_NAME.test(name);

/**
 * Deletes subjects from the registry for good: the Confluent API wants a soft delete before the
 * permanent one. A subject that is already gone is not an error.
 */
export async function deleteSubjects(registryUrl: string, subjects: readonly string[]): Promise<void> {
  for (const subject of subjects) {
    const url = `${registryUrl}/subjects/${encodeURIComponent(subject)}`;
    for (const target of [url, `${url}?permanent=true`]) {
      const response = await fetch(target, { method: 'DELETE', signal: AbortSignal.timeout(10_000) });
      if (!response.ok && response.status !== 404) throw new Error(`DELETE ${target} answered ${response.status}: ${await response.text()}`);
    }
  }
}

async function registrySubjects(registryUrl: string): Promise<string[]> {
  const response = await fetch(`${registryUrl}/subjects`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${registryUrl}/subjects answered ${response.status}`);
  return (await response.json()) as string[];
}

/**
 * Removes every scratch topic, subject and consumer group of earlier runs. Only for a run that holds
 * the namespace alone (no other run's scratch can be in use); groups with members are left alone.
 */
export async function removeScratchLeftovers(config: StackConfig, say: (line: string) => void): Promise<void> {
  const admin = createKafka({ clientId: 'evergreen-e2e-leftovers', brokers: config.kafka.brokers, logLevel: logLevel.ERROR }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter(isScratchName);
    if (topics.length > 0) {
      await admin.deleteTopics({ topics });
      say(`deleted ${topics.length} scratch topics of earlier runs`);
    }
    const candidates = (await admin.listGroups()).groups.map((group) => group.groupId).filter(isScratchName);
    if (candidates.length > 0) {
      const idle = (await admin.describeGroups(candidates)).groups.filter((group) => group.members.length === 0).map((group) => group.groupId);
      if (idle.length > 0) {
        await admin.deleteGroups(idle);
        say(`deleted ${idle.length} scratch consumer groups of earlier runs`);
      }
    }
  } finally {
    await admin.disconnect();
  }
  const subjects = (await registrySubjects(config.registry.ccompatUrl)).filter(isScratchName);
  if (subjects.length > 0) {
    await deleteSubjects(config.registry.ccompatUrl, subjects);
    say(`deleted ${subjects.length} scratch schema subjects of earlier runs`);
  }
}
