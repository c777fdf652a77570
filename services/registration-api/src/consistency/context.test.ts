import { describe, expect, it } from 'vitest';
import { parseArgs } from './context.ts';

describe('parseArgs', () => {
  it('takes --name value and --name=value, switches, and plain words', () => {
    const { options, flags, words } = parseArgs(['user', '--projection', 'user-cache', '--rate=200', '--restart'], ['restart']);

    expect(Object.fromEntries(options)).toEqual({ projection: 'user-cache', rate: '200' });
    expect([...flags]).toEqual(['restart']);
    expect(words).toEqual(['user']);
  });

  it('refuses an option without its value', () => {
    expect(() => parseArgs(['--grace-ms'])).toThrow('--grace-ms needs a value');
  });
});
