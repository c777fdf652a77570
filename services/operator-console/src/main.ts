import { createLogger, loadStackConfig } from '@evergreen/platform';
import { buildApp } from './app.ts';
import { TOKEN_VARIABLE } from './action-guard.ts';
import { allowedHosts } from './host-guard.ts';
import { ConsumerSampler } from './consumer-sampler.ts';
import { FailureLog } from './failures.ts';
import { liveSources } from './live-sources.ts';
import { serviceEndpoints, SERVICES_VARIABLE } from './services.ts';

const config = loadStackConfig();
const logger = createLogger('operator-console', config.logLevel);
const token = process.env[TOKEN_VARIABLE]?.trim() || undefined;
const services = serviceEndpoints(config, process.env[SERVICES_VARIABLE]);
const failures = new FailureLog(logger);
const sampler = new ConsumerSampler(services, undefined, failures);
sampler.start(config.console.sampleIntervalMs, (error) => logger.warn({ err: error }, 'reading the consumers failed'));
const hosts = allowedHosts(config.console.host, config.console.allowedHosts);
const sources = liveSources({ config, services, sampler, failures });
const app = buildApp({ sources, token, operator: process.env.EVERGREEN_CONSOLE_OPERATOR?.trim() || undefined, logger, allowedHosts: hosts });
app.addHook('onClose', async () => {
  sampler.stop();
  await sources.close();
});

await app.listen({ host: config.console.host, port: config.console.port });
logger.info(
  { url: config.console.url, actions: token ? 'enabled' : 'disabled', allowedHosts: hosts },
  token ? `operator console at ${config.console.url}` : `operator console at ${config.console.url} (read-only: set ${TOKEN_VARIABLE} to enable its actions)`,
);

let closing = false;
const shutdown = (signal: string) => {
  if (closing) return;
  closing = true;
  logger.info({ signal }, 'shutting down');
  setTimeout(() => process.exit(1), 10_000).unref();
  app.close().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
