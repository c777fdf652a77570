import { describe, expect, it } from 'vitest';
import { AvroSerde } from '@evergreen/avro-serde';
import { loadStackConfig } from '@evergreen/platform';
import { isScratchName } from './support/scratch-leftovers.ts';
import { ScratchTopic } from './support/scratch-topic.ts';

const config = loadStackConfig();

async function subjects(): Promise<string[]> {
  return (await (await fetch(`${config.registry.ccompatUrl}/subjects`)).json()) as string[];
}

describe('what single tests create beside the namespace', () => {
  it('is recognised by name, and nothing of the namespace or the demo is', () => {
    for (const scratch of ['e2e-1a2b3c4d.user', 'e2e-1a2b3c4d.user.dlq', 'e2e-1a2b3c4d.user-dev.evergreen.user.UserRegistered', 'e2e-0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b', 'e2e-0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b-dev.evergreen.user.UserSnapshot']) {
      expect(isScratchName(scratch), scratch).toBe(true);
    }
    for (const kept of ['evergreen.user', 'evergreen-e2e.user', 'evergreen-e2e-cache-populator', 'evergreen-e2e.user-dev.evergreen.user.UserRegistered', 'e2e-console-group', 'e2e-1a2b3c4dx.user']) {
      expect(isScratchName(kept), kept).toBe(false);
    }
  });

  it('leaves the stack with the scratch topic: its topics and schema subjects are gone once it is disposed', async () => {
    const scratch = new ScratchTopic(config, AvroSerde.forRegistry(config.registry), 1);
    await scratch.create();
    const registered = (await subjects()).filter((subject) => subject.startsWith(`${scratch.prefix}.`));
    expect(registered.length).toBeGreaterThan(0);

    await scratch.dispose();
    expect((await subjects()).filter((subject) => subject.startsWith(`${scratch.prefix}.`))).toEqual([]);
  });
});
