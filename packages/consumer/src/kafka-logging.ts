import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from '@evergreen/platform';

/** Routes kafkajs's own log lines into the process's pino logger. */
export function kafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log;
      const child = { ...extra, kafkaNamespace: log.namespace };
      if (level === logLevel.ERROR) logger.error(child, message);
      else if (level === logLevel.WARN) logger.warn(child, message);
      else if (level === logLevel.INFO) logger.info(child, message);
      else logger.debug(child, message);
    };
}
