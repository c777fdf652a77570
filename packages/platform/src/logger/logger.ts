import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout (or `destination`, for tests that read them), one logger per process, named after the component. */
export function createLogger(name: string, level: string = process.env.EVERGREEN_LOG_LEVEL ?? 'info', options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  return destination ? pino({ name, level, ...options }, destination) : pino({ name, level, ...options });
}
