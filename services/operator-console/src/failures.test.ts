import { describe, expect, it } from 'vitest';
import { EvergreenError } from '@evergreen/errors';
import { AnswerError, failureText, FailureLog } from './failures.ts';
import { probeComponent } from './live-sources.ts';

const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:15432 (postgres://evergreen:s3cret@10.0.0.5/evergreen)'), { code: 'ECONNREFUSED' });

function recording() {
  const logged: Array<Record<string, unknown>> = [];
  return { logged, failures: new FailureLog({ warn: (fields) => void logged.push(fields) }) };
}

describe('failureText', () => {
  it("shows an answer as it is and any other error as its dependency's state", () => {
    expect(failureText(new AnswerError('HTTP 503: stuck'))).toBe('HTTP 503: stuck');
    expect(failureText(refused)).toBe('unavailable');
    expect(failureText(new EvergreenError('TIMEOUT', 'Kafka: no answer within 3000 ms'))).toBe('timeout');
    expect(failureText(new Error('at Object.<anonymous> (/srv/console.js:1:1)'))).toBe('failed');
  });
});

describe('probeComponent', () => {
  it('shows a component that is down by where it is and its state, and logs the error once while it stays the same', async () => {
    const { logged, failures } = recording();
    const probe = () => probeComponent('stack', 'PostgreSQL', '127.0.0.1:15432', () => Promise.reject(refused), failures);
    const view = await probe();
    await probe();
    expect(view).toEqual({ kind: 'stack', name: 'PostgreSQL', healthy: false, state: 'down', detail: '127.0.0.1:15432: unavailable' });
    expect(JSON.stringify(view)).not.toMatch(/s3cret|10\.0\.0\.5/);
    expect(logged).toEqual([expect.objectContaining({ key: 'stack PostgreSQL', err: refused })]);
  });

  it('logs the failure again after the component came back', async () => {
    const { logged, failures } = recording();
    let up = false;
    const probe = () => probeComponent('stack', 'Redis', '127.0.0.1:16379', async () => (up ? 'up' : Promise.reject(refused)), failures);
    await probe();
    up = true;
    expect(await probe()).toMatchObject({ healthy: true, state: 'up', detail: '127.0.0.1:16379' });
    up = false;
    await probe();
    expect(logged).toHaveLength(2);
  });
});

describe('FailureLog', () => {
  it('forgets the oldest key past its capacity', () => {
    const logged: Array<Record<string, unknown>> = [];
    const small = new FailureLog({ warn: (fields) => void logged.push(fields) }, 2);
    for (const key of ['a', 'b', 'c', 'a', 'c']) small.failed(key, refused, 'down');
    // 'a' was forgotten when 'c' came, so it is logged again; 'c' is still remembered.
    expect(logged.map((entry) => entry.key)).toEqual(['a', 'b', 'c', 'a']);
  });
});
