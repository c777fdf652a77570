import kafkajs, { type Admin } from 'kafkajs';
import { RETENTION_CONFIG_NAMES, topicRetentionOf, type TopicRetention } from './retention.ts';

// kafkajs is CommonJS: Node's ESM loader does not see ConfigResourceTypes as a named export.
const TOPIC = kafkajs.ConfigResourceTypes.TOPIC;

/** The cleanup settings of each topic, as the broker applies them (its defaults included). */
export async function describeRetention(admin: Pick<Admin, 'describeConfigs'>, topics: readonly string[]): Promise<TopicRetention[]> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: TOPIC, name, configNames: [...RETENTION_CONFIG_NAMES] })),
  });
  return topics.map((topic) => {
    const resource = resources.find((entry) => entry.resourceName === topic);
    if (!resource) throw new Error(`the broker described no configuration for ${topic}`);
    return topicRetentionOf(topic, resource.configEntries);
  });
}
