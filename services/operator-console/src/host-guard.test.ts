import { describe, expect, it } from 'vitest';
import { allowedHosts, hostNameOf } from './host-guard.ts';

describe('hostNameOf', () => {
  it.each([
    ['127.0.0.1:3006', '127.0.0.1'],
    ['LocalHost:3006', 'localhost'],
    ['[::1]:3006', '::1'],
    ['[::1]', '::1'],
    ['::1', '::1'],
    ['console.example.com.', 'console.example.com'],
    ['', ''],
  ])('%j is %j', (header, name) => expect(hostNameOf(header)).toBe(name));
});

describe('allowedHosts', () => {
  it('defaults to the loopback names and the bound host', () => {
    expect(allowedHosts('127.0.0.1', undefined)).toEqual(['127.0.0.1', 'localhost', '::1']);
    expect(allowedHosts('10.0.0.7', undefined)).toEqual(['127.0.0.1', 'localhost', '::1', '10.0.0.7']);
    expect(allowedHosts('Console.Internal', undefined)).toEqual(['127.0.0.1', 'localhost', '::1', 'console.internal']);
  });

  it('adds no wildcard bind address, which no client sends as Host', () => {
    expect(allowedHosts('0.0.0.0', undefined)).toEqual(['127.0.0.1', 'localhost', '::1']);
    expect(allowedHosts('::', undefined)).toEqual(['127.0.0.1', 'localhost', '::1']);
  });

  it('is exactly the list when one is given', () => {
    expect(allowedHosts('0.0.0.0', ['console.internal', '127.0.0.1'])).toEqual(['console.internal', '127.0.0.1']);
  });
});
