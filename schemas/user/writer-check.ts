import type { PayloadOf } from '@evergreen/event-catalog';
import type { USER_AGGREGATE, userProfileUpdated, userRegistered, userSnapshot } from '@evergreen/user-aggregate';
import type { UserAggregate } from './aggregate.ts';

// Compile-time only: the user's writer (packages/user-aggregate, which imports no catalog) writes
// what the descriptor's schemas say. A field renamed, dropped or retyped in an .avsc file, and the
// payload types regenerated (npm run schemas:types), fails `npm run typecheck` here.

type Holds<Condition extends true> = Condition;
type Writes<Builder extends (...args: never[]) => { data: unknown }, Payload> = ReturnType<Builder>['data'] extends Payload ? true : false;

export type UserWriterMatchesSchemas = [
  Holds<typeof USER_AGGREGATE extends UserAggregate['type'] ? true : false>,
  Holds<Writes<typeof userRegistered, PayloadOf<UserAggregate, 'UserRegistered'>>>,
  Holds<Writes<typeof userProfileUpdated, PayloadOf<UserAggregate, 'UserProfileUpdated'>>>,
  Holds<Writes<typeof userSnapshot, PayloadOf<UserAggregate, 'UserSnapshot'>>>,
];
