import { describe, expect, it } from 'vitest';
import { interpolate, InterpolationError, referencedVariables } from './interpolation.ts';

const variables = { PORT: '15432', EMPTY: '' };

describe('interpolate', () => {
  it('replaces ${NAME} and $NAME and keeps $$ as one dollar', () => {
    expect(interpolate('127.0.0.1:${PORT}:5432', variables)).toBe('127.0.0.1:15432:5432');
    expect(interpolate('$PORT-$$PORT', variables)).toBe('15432-$PORT');
  });

  it('applies the default and alternative operators as compose does', () => {
    expect(interpolate('${MISSING:-5432}|${EMPTY:-x}|${EMPTY-x}', variables)).toBe('5432|x|');
    expect(interpolate('${PORT:+set}|${MISSING+set}|${EMPTY+set}', variables)).toBe('set||set');
  });

  it('fails on a required variable that is missing, and on what it cannot read', () => {
    expect(() => interpolate('${MISSING:?give a port}', variables)).toThrow(InterpolationError);
    expect(() => interpolate('${EMPTY:?give a port}', variables)).toThrow('give a port');
    expect(() => interpolate('${PORT:-${OTHER}}', variables)).toThrow(InterpolationError);
    expect(() => interpolate('${not a name}', variables)).toThrow(InterpolationError);
  });
});

describe('referencedVariables', () => {
  it('names every variable a value reads, not an escaped dollar', () => {
    expect(referencedVariables('-Xms${HEAP} -Xmx$HEAP $${LITERAL} ${PORT:-1}')).toEqual(['HEAP', 'HEAP', 'PORT']);
  });
});
