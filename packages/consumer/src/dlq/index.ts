// The dead-letter tools the `npm run dlq` command line and the operator console share.
export { deadLetterTopicsOf, listDeadLetters, readDeadLetters, replayDeadLetters, RefusedError } from './commands.ts';
export type { DlqClients, Replayed, ReplayOptions } from './commands.ts';
export { deadLetterFields, describeDeadLetter, newestDeadLetters } from './describe.ts';
export type { DeadLetterFields, Listing } from './describe.ts';
export { parsePosition } from './positions.ts';
export { comparePositions, formatPosition, positionOf } from './stored.ts';
export type { DlqPosition, StoredDeadLetter } from './stored.ts';
export { parkRecord, parkWith } from './park-record.ts';
export type { ParkOutcome, ParkRequest } from './park-record.ts';
