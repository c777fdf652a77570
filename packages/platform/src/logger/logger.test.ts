import { describe, expect, it } from 'vitest';
import { logFormat } from './logger.ts';

describe('logFormat', () => {
  it('is pretty at a terminal and JSON into a pipe or file', () => {
    expect(logFormat({}, true)).toBe('pretty');
    expect(logFormat({}, false)).toBe('json');
  });

  it('follows EVERGREEN_LOG_FORMAT whatever stdout is', () => {
    expect(logFormat({ EVERGREEN_LOG_FORMAT: 'pretty' }, false)).toBe('pretty');
    expect(logFormat({ EVERGREEN_LOG_FORMAT: 'json' }, true)).toBe('json');
  });

  it('refuses a format it does not know, naming the variable', () => {
    expect(() => logFormat({ EVERGREEN_LOG_FORMAT: 'yaml' }, true)).toThrow('EVERGREEN_LOG_FORMAT');
  });
});
