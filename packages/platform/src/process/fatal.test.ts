import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { exitOnFatalErrors, FATAL_EXIT_CODE } from './fatal.ts';

function installed() {
  const target = new EventEmitter();
  const logged: Array<{ fields: unknown; message: string }> = [];
  const exits: number[] = [];
  const uninstall = exitOnFatalErrors({ fatal: (fields: unknown, message?: string) => logged.push({ fields, message: message ?? '' }) }, { target, exit: (code) => exits.push(code) });
  return { target, logged, exits, uninstall };
}

describe('exitOnFatalErrors', () => {
  it('logs an unhandled rejection fatally, with the error, and exits non-zero for a supervisor to restart the process', () => {
    const { target, logged, exits } = installed();
    const reason = new Error('Connection terminated unexpectedly');

    target.emit('unhandledRejection', reason, Promise.resolve());

    expect(exits).toEqual([FATAL_EXIT_CODE]);
    expect(FATAL_EXIT_CODE).not.toBe(0);
    expect(logged).toEqual([{ fields: { err: reason }, message: expect.stringContaining('unhandled promise rejection') }]);
  });

  it('does the same for an uncaught exception, once, however many follow', () => {
    const { target, logged, exits } = installed();

    target.emit('uncaughtException', new Error('first'));
    target.emit('uncaughtException', new Error('second'));

    expect(exits).toEqual([FATAL_EXIT_CODE]);
    expect(logged).toHaveLength(1);
    expect(logged[0]?.message).toContain('uncaught exception');
  });

  it('can be uninstalled', () => {
    const { target, uninstall } = installed();
    uninstall();
    expect(target.listenerCount('unhandledRejection') + target.listenerCount('uncaughtException')).toBe(0);
  });
});
