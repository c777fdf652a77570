import { describe, expect, it } from 'vitest';
import { compatibilityProblems, parseSchema } from './compatibility.ts';

const record = (fields: object[]) => parseSchema(JSON.stringify({ type: 'record', name: 'UserRegistered', namespace: 'dev.evergreen.user', fields }));
const v1 = record([
  { name: 'userId', type: 'string' },
  { name: 'name', type: 'string' },
]);
const withOptionalField = record([
  { name: 'userId', type: 'string' },
  { name: 'name', type: 'string' },
  { name: 'locale', type: ['null', 'string'], default: null },
]);
const withRequiredField = record([
  { name: 'userId', type: 'string' },
  { name: 'name', type: 'string' },
  { name: 'locale', type: 'string' },
]);
const withoutName = record([{ name: 'userId', type: 'string' }]);

describe('compatibilityProblems', () => {
  it('accepts an optional field with a default under BACKWARD and FULL', () => {
    expect(compatibilityProblems(v1, withOptionalField, 'BACKWARD')).toEqual([]);
    expect(compatibilityProblems(v1, withOptionalField, 'FULL')).toEqual([]);
  });

  it('refuses a new field without a default under BACKWARD, saying which field and which way', () => {
    const problems = compatibilityProblems(v1, withRequiredField, 'BACKWARD');
    expect(problems).toHaveLength(1);
    expect(problems[0]?.direction).toBe('new reader, old data');
    expect(problems[0]?.reason).toContain('locale');
  });

  it('lets FORWARD drop a field only old readers could miss, and refuses it when they need it', () => {
    expect(compatibilityProblems(v1, withRequiredField, 'FORWARD')).toEqual([]);
    const problems = compatibilityProblems(v1, withoutName, 'FORWARD_TRANSITIVE');
    expect(problems.map((problem) => problem.direction)).toEqual(['old reader, new data']);
  });

  it('checks nothing under NONE', () => {
    expect(compatibilityProblems(v1, withRequiredField, 'NONE')).toEqual([]);
  });
});
