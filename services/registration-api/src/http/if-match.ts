/**
 * If-Match as RFC 9110 §13.1.1 defines it: `*`, or a comma-separated list of entity tags, each
 * strong (`"3"`) or weak (`W/"3"`), with optional whitespace and empty list elements (§5.6.1). A
 * user's ETag is its version, strong: `"3"`. Besides the grammar, a bare version (`3`) is taken as
 * `"3"`, as this API always has.
 */

// etagc = %x21 / %x23-7E / obs-text; OWS = *( SP / HTAB )
const ENTITY_TAG = '(?:W/)?"[\\x21\\x23-\\x7E\\x80-\\xFF]*"';
const OWS = '[ \\t]*';
const ENTITY_TAGS = `(?:,${OWS})*${ENTITY_TAG}(?:${OWS},(?:${OWS}${ENTITY_TAG})?)*`;
const BARE_VERSION = '[0-9]{1,15}';

/** The header's grammar, for the routes' header schema: a value that does not match it is refused (400) before the route runs. */
export const IF_MATCH_PATTERN = `^${OWS}(?:\\*|${BARE_VERSION}|${ENTITY_TAGS})${OWS}$`;

const HEADER = new RegExp(IF_MATCH_PATTERN);
const TAG = /(W\/)?"([^"]*)"/g;

/** A version as the API writes it in an ETag: the canonical decimal, from 1. */
const VERSION = /^[1-9][0-9]{0,14}$/;

/**
 * What a valid If-Match asks of the user's current version: 'any' (`*`: whatever version it is
 * at, as long as it exists), or the versions whose ETag it lists. If-Match compares strongly: a
 * weak tag never matches, nor does a tag that is not a version of ours (`"03"`, `"abc"`), so
 * the list can be empty, and the change is then refused (412) whatever the version.
 */
export type VersionCondition = 'any' | readonly number[];

function tagsOf(header: string): Array<{ weak: boolean; opaque: string }> {
  return [...header.matchAll(TAG)].map((match) => ({ weak: match[1] !== undefined, opaque: match[2] ?? '' }));
}

/** The condition a valid If-Match header sets. The route's header schema refuses an invalid one first, so one here is a fault. */
export function versionCondition(header: string): VersionCondition {
  const value = header.trim();
  if (!HEADER.test(value)) throw new Error(`If-Match ${JSON.stringify(header)} reached the route: its schema should have refused it`);
  if (value === '*') return 'any';
  if (/^[0-9]+$/.test(value)) return VERSION.test(value) ? [Number(value)] : [];
  return tagsOf(value).flatMap((tag) => (!tag.weak && VERSION.test(tag.opaque) ? [Number(tag.opaque)] : []));
}

/**
 * The header as one text whatever its spelling (spaces, empty list elements, the order of its
 * tags, a bare version for its quoted form): two requests whose If-Match means the same are one
 * request to an Idempotency-Key. A value that is not valid is kept as it was written.
 */
export function canonicalIfMatch(header: string): string {
  const value = header.trim();
  if (!HEADER.test(value) || value === '*') return value;
  if (/^[0-9]+$/.test(value)) return `"${value}"`;
  return [...new Set(tagsOf(value).map((tag) => `${tag.weak ? 'W/' : ''}"${tag.opaque}"`))].sort().join(', ');
}
