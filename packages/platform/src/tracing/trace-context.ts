import { AsyncLocalStorage } from 'node:async_hooks';

// W3C Trace Context: version "00", a 32-hex trace id and a 16-hex parent id (neither all zeros), 2-hex flags.
const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The traceparent header value when it is well-formed W3C Trace Context, otherwise undefined (a bad one is dropped, not propagated). */
export function parseTraceparent(value: string | string[] | undefined): string | undefined {
  const single = Array.isArray(value) ? value[0] : value;
  const candidate = single?.trim().toLowerCase();
  return candidate && TRACEPARENT.test(candidate) ? candidate : undefined;
}

const activeTrace = new AsyncLocalStorage<string>();

/** Runs `work` with `traceparent` as the active trace context of everything it awaits. */
export function withTraceContext<T>(traceparent: string | undefined, work: () => T): T {
  return traceparent === undefined ? work() : activeTrace.run(traceparent, work);
}

/** The trace context of the work in progress, if a caller set one. */
export function activeTraceContext(): string | undefined {
  return activeTrace.getStore();
}

/** The trace id (32 hex) of a traceparent header value, when it is well-formed. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  return parseTraceparent(traceparent)?.split('-')[1];
}
