import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { actionGuard, tokenMatches } from './action-guard.ts';

describe('tokenMatches', () => {
  it('matches only the same token, whatever the lengths', () => {
    expect(tokenMatches('s3cret', 's3cret')).toBe(true);
    expect(tokenMatches('s3cret', 's3cre')).toBe(false);
    expect(tokenMatches('s3cret', 's3cret ')).toBe(false);
    expect(tokenMatches('s3cret', '')).toBe(false);
  });
});

describe('actionGuard', () => {
  it('logs every refusal with the address, the request and the reason, and lets a good request through unlogged', async () => {
    const logged: Array<Record<string, unknown>> = [];
    const app = Fastify();
    app.post('/act', { onRequest: actionGuard({ token: 'tok', logger: { warn: (fields) => void logged.push(fields) } }) }, async () => ({ done: true }));
    const refused = await app.inject({ method: 'POST', url: '/act', payload: {}, headers: { authorization: 'Bearer nope' } });
    expect(refused.statusCode).toBe(401);
    expect(logged).toEqual([expect.objectContaining({ who: { address: '127.0.0.1' }, action: { kind: 'POST /act' }, result: 'refused', status: 401, reason: expect.stringContaining('not it') })]);
    const accepted = await app.inject({ method: 'POST', url: '/act', payload: {}, headers: { authorization: 'Bearer tok' } });
    expect(accepted.json()).toEqual({ done: true });
    expect(logged).toHaveLength(1);
    await app.close();
  });
});
