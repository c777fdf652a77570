import type { Logger } from '../logger/logger.ts';

/** The exit code of a process that stopped on an error nobody handled; a supervisor restarts it. */
export const FATAL_EXIT_CODE = 70;

export interface FatalHandlerOptions {
  /** How the process ends (process.exit; tests pass their own). */
  exit?: (code: number) => void;
  /** Where the events come from (process; tests pass their own emitter). */
  target?: Pick<NodeJS.EventEmitter, 'on' | 'removeListener'>;
}

/**
 * An error nobody handled leaves a service in a state nobody designed: a client that lost its
 * connection and will not reconnect, a loop that stopped. A process in that state that stays up
 * is a zombie (its port answers, its work does not happen). So a service entry point ends the
 * process instead: the error is logged fatally, with what it was, and the process exits
 * non-zero, for the supervisor (or orchestrator) to start a fresh one. Returns the uninstaller.
 */
export function exitOnFatalErrors(logger: Pick<Logger, 'fatal'>, options: FatalHandlerOptions = {}): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const target = options.target ?? process;
  let exiting = false;
  const fatal = (what: string) => (error: unknown) => {
    if (exiting) return;
    exiting = true;
    logger.fatal({ err: error }, `${what}; exiting (code ${FATAL_EXIT_CODE}) so that a supervisor restarts the process`);
    exit(FATAL_EXIT_CODE);
  };
  const onRejection = fatal('unhandled promise rejection');
  const onException = fatal('uncaught exception');
  target.on('unhandledRejection', onRejection);
  target.on('uncaughtException', onException);
  return () => {
    target.removeListener('unhandledRejection', onRejection);
    target.removeListener('uncaughtException', onException);
  };
}
