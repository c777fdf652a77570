import { randomUUID } from 'node:crypto';
import type { IHeaders } from 'kafkajs';
import { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvroSerde } from '@evergreen/avro-serde';
import { connectorStatus } from '@evergreen/connect-config';
import { deadLetterTopic, type ProjectionConsumer } from '@evergreen/consumer';
import { loadStackConfig, pollUntil } from '@evergreen/platform';
import { connectorIsUp, readConnector, relayTarget } from '@evergreen/relay-health';
import { userKey } from '@evergreen/user-read-model';
import { launchChromium, screenshot } from './support/browser.ts';
import { cacheEntryAt } from './support/harness.ts';
import { olderPopulator } from './support/older-populator.ts';
import { ScratchTopic } from './support/scratch-topic.ts';
import { spawnPopulator, spawnService, type ServiceProcess } from './support/service-process.ts';

/** What a row of the page's components table says. */
interface ComponentRow {
  name: string;
  kind: string;
  healthy: boolean;
  text: string;
}

const componentRows = (page: Page): Promise<ComponentRow[]> =>
  page.$$eval('#components tbody tr[data-component]', (rows) =>
    rows.map((row) => ({ name: row.getAttribute('data-component') ?? '', kind: row.getAttribute('data-kind') ?? '', healthy: row.getAttribute('data-healthy') === 'true', text: row.textContent ?? '' })),
  );

async function connectRequest(url: string, method: 'PUT' | 'GET'): Promise<void> {
  const response = await fetch(url, { method, signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`${method} ${url}: HTTP ${response.status} ${await response.text()}`);
}

// Issue #14: the operator console, in a real (headless) Chromium, against the real stack: the console
// and a cache populator run as processes in the tests' namespace, on a user topic of the test's own.
describe('the operator console in a browser', () => {
  const config = loadStackConfig();
  const serde = AvroSerde.forRegistry(config.registry);
  const redis = new Redis({ host: config.redis.host, port: config.redis.port, db: config.redis.db });
  const scratch = new ScratchTopic(config, serde);
  const token = randomUUID();
  const groupId = `e2e-console-${randomUUID()}`;
  const userId = randomUUID();
  const running: ServiceProcess[] = [];
  let old: ProjectionConsumer | undefined;
  let updateId: string;
  let browser: Browser;
  let page: Page;
  let consoleUrl: string;
  let populator: ServiceProcess;

  beforeAll(async () => {
    await scratch.create();
    // The poison: a UserProfileUpdated the populator of an older release does not know, dead-lettered by
    // its group; today's populator, started in the same group, applies it when it is replayed.
    old = olderPopulator(config, serde, redis, scratch.topic, groupId);
    await old.start();
    const update = await scratch.message({ userId, version: 2, eventType: 'UserProfileUpdated', name: 'Fixed by a replay' });
    updateId = String((update.headers as IHeaders).id);
    await scratch.produce([{ userId, version: 1, eventType: 'UserRegistered', name: 'Before' }]);
    await scratch.produceMessages([update]);
    await scratch.waitUntilCaughtUp(groupId);
    await old.stop();
    old = undefined;

    populator = await spawnPopulator({ prefix: scratch.prefix, groupId });
    running.push(populator);
    const operatorConsole = await spawnService('operator-console', {
      // A reading of the consumers every second, so the chart has points within the test.
      env: { EVERGREEN_TOPIC_PREFIX: scratch.prefix, EVERGREEN_CONSOLE_TOKEN: token, EVERGREEN_CONSOLE_SERVICES: `cache-populator=${populator.url}`, EVERGREEN_CONSOLE_SAMPLE_INTERVAL_MS: '1000' },
      label: groupId,
    });
    running.push(operatorConsole);
    consoleUrl = operatorConsole.url;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  });

  afterAll(async () => {
    await browser?.close();
    await old?.stop();
    await Promise.all(running.map((service) => service.terminate().catch(() => service.kill())));
    await scratch.dispose();
    redis.disconnect();
  });

  it('loads with every component green, each saying so in words too', async () => {
    await page.goto(consoleUrl);
    const rows = await pollUntil(
      async () => {
        const found = await componentRows(page);
        return found.length > 0 && found.every((row) => row.healthy) ? found : undefined;
      },
      { description: 'every component on the page to be healthy', timeoutMs: 60_000, intervalMs: 500 },
    ).catch(async (error: Error) => {
      await screenshot(page, 'components-not-green');
      throw new Error(`${error.message}: ${JSON.stringify((await componentRows(page)).filter((row) => !row.healthy))}`);
    });
    const names = rows.map((row) => row.name);
    for (const name of ['PostgreSQL', 'Redis', 'Kafka', 'Schema registry', 'Kafka Connect', config.connect.connectorName, `${config.connect.connectorName} task 0`, config.orders.connectorName, 'cache-populator']) {
      expect(names).toContain(name);
    }
    for (const row of rows) expect(row.text).toContain('✔');
    expect(await page.textContent('#components-summary')).toContain(`all ${rows.length} healthy`);
    // The relay: each of the namespace's connectors relaying, with its slot's lag and WAL status.
    const relay = page.locator(`#relay tr[data-connector="${config.connect.connectorName}"]`);
    expect(await relay.getAttribute('data-relaying')).toBe('true');
    expect(await relay.textContent()).toMatch(/relaying.*\d+(\.\d)? (B|KiB|MiB).*(reserved|extended)/);
    await screenshot(page, 'components-green');
  });

  it('shows the poison record under dead letters with its reason, and replaying it from the page applies it', async () => {
    const row = page.locator(`#dead-letter-topics tr[data-key="${userId}"]`);
    await pollUntil(
      async () => {
        await page.click('#dead-letter-filter button[type=submit]');
        return (await row.count()) === 1;
      },
      { description: `the dead letter of ${userId} on the page`, timeoutMs: 60_000, intervalMs: 2_000 },
    );
    const text = (await row.textContent()) ?? '';
    // The older release's catalog has no UserProfileUpdated: refused by its event type before decoding.
    expect(text).toContain('unknown-event-type');
    expect(text).toContain('"UserProfileUpdated" is not an event type of aggregate user');
    expect(text).toContain(groupId);
    expect(text).toContain('UserProfileUpdated');
    // The payload, decoded with the schema it was written with.
    await row.locator('details summary').click();
    expect(await row.locator('details pre').textContent()).toContain('Fixed by a replay');
    expect(await page.textContent('#dead-letter-topics')).toContain(deadLetterTopic(scratch.topic));

    // Without the token the replay is refused, and nothing is replayed.
    await row.locator('input[type=checkbox]').check();
    await page.click('#replay');
    await pollUntil(async () => ((await page.textContent('#replay-result')) ?? '').includes('401'), { description: 'the refusal without a token', timeoutMs: 10_000, intervalMs: 100 });
    expect(await redis.hget(userKey(userId), 'version')).toBe('1');

    await page.fill('#token', token);
    await page.click('#token-form button[type=submit]');
    await row.locator('input[type=checkbox]').check();
    await page.click('#replay');
    const result = await pollUntil(
      async () => {
        const shown = (await page.textContent('#replay-result')) ?? '';
        return shown.includes('replayed') ? shown : undefined;
      },
      { description: 'the replay to be reported on the page', timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(result).toMatch(new RegExp(`replayed \\d+:\\d+ → ${scratch.retryTopic.replace(/\./g, '\\.')}/\\d+@\\d+ for ${groupId}`));
    const entry = await cacheEntryAt(redis, userKey(userId), 2);
    expect(entry).toMatchObject({ version: '2', name: 'Fixed by a replay', eventId: updateId });
    await screenshot(page, 'dead-letter-replayed');
  });

  it("charts the commit → cache latency, the rate and each partition's lag of the records that flow", async () => {
    const legend = page.locator('#latency-chart text[data-consumer="cache-populator"]');
    const legendText = async () => ((await legend.count()) === 1 ? ((await legend.textContent()) ?? '') : '');
    // Records in several intervals: each round produces until the chart has a newer point with records in it.
    for (let round = 0; round < 3; round += 1) {
      const before = await legendText();
      await pollUntil(
        async () => {
          await scratch.produce(Array.from({ length: 25 }, () => ({ userId: randomUUID(), version: 1, eventType: 'UserRegistered' as const, name: 'Flowing' })));
          const now = await legendText();
          return now.includes('records') && now !== before;
        },
        { description: 'a new latency point on the chart', timeoutMs: 30_000, intervalMs: 1_500 },
      ).catch(async (error: Error) => {
        await screenshot(page, 'latency-missing');
        const sampled = await (await fetch(`${consoleUrl}/api/consumers`)).text();
        const exported = (await populator.metrics()).split('\n').filter((line) => line.startsWith('evergreen_consumer_commit_to_apply_seconds_count') || line.startsWith('evergreen_consumer_records_total'));
        throw new Error(`${error.message}; the console sampled ${sampled}; the populator exports ${exported.join(' | ')}`);
      });
    }
    await scratch.waitUntilCaughtUp(groupId);
    expect(await legend.textContent()).toMatch(/^cache-populator: p50 \d+(\.\d)? m?s, p99 \d+(\.\d)? m?s \(\d+ records, /);
    expect(await page.locator('#latency-chart polyline').count()).toBeGreaterThanOrEqual(2);
    await pollUntil(async () => ((await page.textContent('#partitions tbody')) ?? '').includes(scratch.topic), { description: `the lag of ${scratch.topic} on the page`, timeoutMs: 30_000, intervalMs: 250 });
    expect(await page.textContent('#rates tbody')).toContain('cache-populator');
  });

  it('shows a stopped connector red, until it runs again', async () => {
    const connector = config.connect.connectorName;
    const connectorUrl = `${config.connect.url}/connectors/${encodeURIComponent(connector)}`;
    await connectRequest(`${connectorUrl}/pause`, 'PUT');
    try {
      // Read now rather than at the next refresh: the paused connector holds up the namespace's other suites.
      await page.reload();
      const row = await pollUntil(
        async () => (await componentRows(page)).find((candidate) => candidate.name === connector && !candidate.healthy && candidate.text.includes('PAUSED')),
        { description: `${connector} to show red and PAUSED on the page`, timeoutMs: 60_000, intervalMs: 500 },
      );
      expect(row.text).toContain('✘');
      expect(await page.textContent('#components-summary')).toContain('not healthy');
      await pollUntil(async () => (await page.getAttribute(`#relay tr[data-connector="${connector}"]`, 'data-relaying')) === 'false', { description: 'the relay to show not relaying', timeoutMs: 30_000, intervalMs: 250 });
      expect(await page.textContent(`#relay tr[data-connector="${connector}"]`)).toContain('PAUSED');
      await screenshot(page, 'connector-paused');
    } finally {
      // The other suites need the tests' connector: it runs again before this test ends.
      await connectRequest(`${connectorUrl}/resume`, 'PUT');
      await pollUntil(async () => connectorIsUp(await readConnector(relayTarget(config))), { description: `${connector} to be RUNNING again`, timeoutMs: 60_000, intervalMs: 250 });
    }
    await pollUntil(async () => (await componentRows(page)).find((candidate) => candidate.name === connector)?.healthy === true, { description: `${connector} to show green again`, timeoutMs: 30_000, intervalMs: 500 });
    expect((await connectorStatus(config.connect.url, connector))?.connector.state).toBe('RUNNING');

    // Its Restart button, with the token the page holds: Kafka Connect restarts it and its tasks.
    page.once('dialog', (dialog) => void dialog.accept());
    try {
      await page.click(`#components tr[data-component="${connector}"] button`);
      await pollUntil(async () => ((await page.textContent('#restart-result')) ?? '').includes(`✔ restarted ${connector}`), { description: 'the restart to be reported', timeoutMs: 30_000, intervalMs: 100 });
    } finally {
      await pollUntil(async () => connectorIsUp(await readConnector(relayTarget(config))), { description: `${connector} to be RUNNING after its restart`, timeoutMs: 60_000, intervalMs: 250 });
    }
    // The page at rest after all of it, every component green again: what the README shows.
    await pollUntil(async () => (await componentRows(page)).every((candidate) => candidate.healthy), { description: 'every component green after the restart', timeoutMs: 30_000, intervalMs: 250 });
    await screenshot(page, 'operator-console');
  });
});
