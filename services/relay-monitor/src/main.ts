import { createLogger, loadStackConfig } from '@evergreen/platform';
import { startRelayMonitorService } from './service.ts';

const config = loadStackConfig();
const logger = createLogger('relay-monitor', config.logLevel);
const service = await startRelayMonitorService({ config, logger });

let closing = false;
const shutdown = (signal: string) => {
  if (closing) return;
  closing = true;
  logger.info({ signal }, 'shutting down');
  setTimeout(() => {
    logger.error('shutdown took too long; exiting');
    process.exit(1);
  }, 10_000).unref();
  service.close().then(
    () => {
      logger.info('stopped cleanly');
      process.exit(0);
    },
    (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
