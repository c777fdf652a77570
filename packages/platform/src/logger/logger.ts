import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout, one logger per process, named after the component. */
export function createLogger(name: string, level: string = process.env.EVERGREEN_LOG_LEVEL ?? 'info', options: LoggerOptions = {}): Logger {
  return pino({ name, level, ...options });
}
