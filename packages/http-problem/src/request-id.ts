import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

// Short and plain: the id lands in every log line, so a caller must not be able to inject text.
const ACCEPTED = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's x-request-id when it is a plain token, so one id follows a request across services; otherwise a new UUID. */
export function requestIdOf(request: IncomingMessage): string {
  const header = request.headers[REQUEST_ID_HEADER];
  const candidate = Array.isArray(header) ? header[0] : header;
  return candidate !== undefined && ACCEPTED.test(candidate) ? candidate : randomUUID();
}
