import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

export type LogFormat = 'json' | 'pretty';

/**
 * JSON lines for machines, coloured single lines for a person at a terminal: EVERGREEN_LOG_FORMAT
 * when set (the supervisor sets it for the services it runs, whose stdout is a pipe), otherwise
 * pretty exactly when stdout is a terminal.
 */
export function logFormat(environment: NodeJS.ProcessEnv = process.env, stdoutIsTty = process.stdout.isTTY === true): LogFormat {
  const chosen = environment.EVERGREEN_LOG_FORMAT;
  if (chosen === 'json' || chosen === 'pretty') return chosen;
  if (chosen !== undefined && chosen !== '') throw new Error(`EVERGREEN_LOG_FORMAT: must be json or pretty, got "${chosen}"`);
  return stdoutIsTty ? 'pretty' : 'json';
}

/** Structured logs on stdout (or `destination`, for tests that read them), one logger per process, named after the component. */
export function createLogger(name: string, level: string = process.env.EVERGREEN_LOG_LEVEL ?? 'info', options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  if (destination) return pino({ name, level, ...options }, destination);
  if (level !== 'silent' && logFormat() === 'pretty') {
    // pino-pretty formats in a worker thread, off the event loop of the service.
    return pino({ name, level, ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  return pino({ name, level, ...options });
}
