import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { checkTopics, TopicSetupError } from './topic-preflight.ts';

type Configs = Record<string, Record<string, string>>;

/** An admin that knows these topics with these settings. */
function adminOf(configs: Configs): Pick<Admin, 'listTopics' | 'describeConfigs'> {
  return {
    listTopics: async () => Object.keys(configs),
    describeConfigs: (async ({ resources }: { resources: Array<{ name: string }> }) => ({
      throttleTime: 0,
      resources: resources.map(({ name }) => ({
        errorCode: 0,
        errorMessage: null,
        resourceType: 2,
        resourceName: name,
        configEntries: Object.entries(configs[name] ?? {}).map(([configName, configValue]) => ({ configName, configValue, readOnly: false, isDefault: false, configSource: 1, isSensitive: false, configSynonyms: [] })),
      })),
    })) as unknown as Admin['describeConfigs'],
  };
}

const COMPACTED = { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '3600000', 'delete.retention.ms': '86400000', 'retention.ms': '604800000' };
const DELETING = { 'cleanup.policy': 'delete', 'retention.ms': '604800000' };

describe('checkTopics', () => {
  it("answers each topic's lag-age limit when every topic is there and the deletion marker outlives the tombstones", async () => {
    const limits = await checkTopics(adminOf({ 'evergreen.user': COMPACTED, 'evergreen.user.retry': DELETING }), {
      topics: ['evergreen.user', 'evergreen.user.retry'],
      deletionMarkerTtlSeconds: 7 * 24 * 3600,
      maxLagAgeMs: undefined,
    });

    expect(limits.get('evergreen.user')?.ms).toBe(0.8 * 3_600_000);
  });

  it('refuses to start on a missing topic, naming it and the command that creates it', async () => {
    await expect(checkTopics(adminOf({ 'evergreen.user': COMPACTED }), { topics: ['evergreen.user', 'evergreen.user.retry'], deletionMarkerTtlSeconds: undefined, maxLagAgeMs: undefined })).rejects.toThrow(
      /evergreen\.user\.retry do not exist; `npm run connect:apply`/,
    );
  });

  it('refuses a compacted topic whose tombstones outlive the deletion marker', async () => {
    const error = await checkTopics(adminOf({ 'evergreen.user': COMPACTED }), { topics: ['evergreen.user'], deletionMarkerTtlSeconds: 3_600, maxLagAgeMs: undefined }).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(TopicSetupError);
    expect((error as Error).message).toContain('evergreen.user');
  });
});
