import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_KEY_MAX_LENGTH, IDEMPOTENCY_KEY_MIN_LENGTH, IDEMPOTENCY_KEY_PATTERN } from '../idempotency/fingerprint.ts';
import { explainPattern, problemResponses } from '@evergreen/http-problem';
import { IF_MATCH_PATTERN } from '../http/if-match.ts';

// The JSON Schemas of the user routes: Fastify validates requests with them, serialises responses
// with them, and @fastify/swagger turns them into the OpenAPI document at /docs.

/** ETags are the user's version in quotes: "3". */
export const etag = (version: number) => `"${version}"`;

export const userSchema = {
  $id: 'User',
  type: 'object',
  required: ['id', 'email', 'name', 'avatarUrl', 'version', 'registeredAt', 'updatedAt'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    email: { type: 'string' },
    name: { type: 'string' },
    avatarUrl: { type: ['string', 'null'] },
    version: { type: 'integer', description: 'The aggregate version; every change adds one. Also the ETag.' },
    registeredAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

// Control characters, bidirectional overrides (text that displays differently from what it is)
// and lone UTF-16 surrogates (invalid Unicode, silently mangled on the way to UTF-8); and at least
// one visible character, so a name of zero-width spaces is as empty as one of blanks (combining
// marks alone draw nothing, and the Hangul fillers are letters that render as blanks).
const PRINTABLE_TEXT = explainPattern(
  '^(?=.*[^\\s\\p{Z}\\p{Cf}\\p{M}\\u115F\\u1160\\u3164\\uFFA0])[^\\p{Cc}\\u202A-\\u202E\\u2066-\\u2069\\uD800-\\uDFFF]*$',
  'must contain something visible and no control characters, bidirectional overrides or invalid Unicode',
);

const profileFields = {
  name: { type: 'string', minLength: 1, maxLength: 200, pattern: PRINTABLE_TEXT, description: 'Trimmed; 1 to 200 characters, no control characters.' },
  avatarUrl: { type: ['string', 'null'], format: 'uri', pattern: explainPattern('^https://[^/?#\\s]+', 'must be an https URL with a host'), maxLength: 2048, description: 'An https URL, or null for none.' },
} as const;

export const registrationSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['email', 'name'],
  properties: {
    email: { type: 'string', format: 'email', maxLength: 254, description: 'Trimmed; unique regardless of case.' },
    ...profileFields,
  },
} as const;

export const profileChangesSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: profileFields,
} as const;

/** The headers of the write routes: the optional Idempotency-Key (docs/api.md, "Retrying writes safely"). */
export const idempotencyHeaders = {
  type: 'object',
  properties: {
    [IDEMPOTENCY_KEY_HEADER]: {
      type: 'string',
      minLength: IDEMPOTENCY_KEY_MIN_LENGTH,
      maxLength: IDEMPOTENCY_KEY_MAX_LENGTH,
      pattern: explainPattern(IDEMPOTENCY_KEY_PATTERN, 'must be visible ASCII characters only (no spaces)'),
      description:
        'Optional; 1 to 255 visible ASCII characters, e.g. a UUID. A retry of the same request (method, path, body, If-Match) with the same key, ' +
        'within EVERGREEN_IDEMPOTENCY_TTL_HOURS (default 24 h) of a write, gets the write\'s answer again, with `idempotent-replayed: true`, and writes nothing; ' +
        'the key on another request is 422; while the first is still running, 409 with Retry-After. A refusal (404, 409, 412) writes nothing and is not kept: a retry runs again.',
    },
  },
} as const;

/** The headers of the routes that change a user: Idempotency-Key, and If-Match (RFC 9110 §13.1.1). */
export const changeHeaders = {
  type: 'object',
  properties: {
    ...idempotencyHeaders.properties,
    'if-match': {
      type: 'string',
      pattern: explainPattern(IF_MATCH_PATTERN, 'must be *, or entity tags such as "3" or W/"3" separated by commas'),
      description:
        'The ETag last read ("3"), several (`"3", "4"`), or * for whatever version the user is at. Compared strongly: a weak ETag never matches. A bare version (3) is taken as "3". Required by PATCH (428 without), optional on DELETE.',
    },
  },
} as const;

/** What a problem status means on the user routes; problemResponses adds 500 and 503, and the common meanings of the rest. */
const USER_PROBLEMS: Record<number, string> = {
  404: 'No such user.',
  409: 'The email is already registered (compared without case), or a request with the same Idempotency-Key is still running (retry after Retry-After seconds).',
  412: 'If-Match names no current ETag (a weak one never matches); the ETag header has the current one.',
  413: 'The body is larger than 16 KiB.',
  422: 'The Idempotency-Key was first used for a different request (method, path, body or If-Match).',
  428: 'If-Match is required.',
};

/** The problem answers of a user route, for its schema and the OpenAPI document. */
export const userProblems = (...statuses: number[]) => problemResponses(USER_PROBLEMS, ...statuses);
