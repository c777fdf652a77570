// Generated from UserProfileUpdated.avsc, UserRegistered.avsc, UserSnapshot.avsc by `npm run schemas:types`; do not edit. A unit test fails when it is stale.

/** A user changed their profile (name, avatar). Carries the user's whole state after the change, so this event alone rebuilds the user's cache entry. */
export interface UserProfileUpdated {
  /** The aggregate id; also the Kafka key. */
  userId: string;
  /** The user's aggregate version after this change. */
  version: number;
  email: string;
  name: string;
  avatarUrl: null | string;
  registeredAt: number;
  updatedAt: number;
}

/** A user registered. Carries the user's whole state after the registration, so this event alone builds the user's cache entry. */
export interface UserRegistered {
  /** The aggregate id; also the Kafka key. */
  userId: string;
  /** The user's aggregate version after this change; starts at 1 and grows by one per change. */
  version: number;
  email: string;
  name: string;
  avatarUrl: null | string;
  registeredAt: number;
}

export type SnapshotReason = 'BACKFILL' | 'REPAIR';

/** The user's whole current state, re-emitted without a change: by a backfill of users that predate the pipeline, or by a repair of a read model that drifted. Consumers apply it like any state event; its version is the user's current one, so one they already hold is ignored. */
export interface UserSnapshot {
  /** The aggregate id; also the Kafka key. */
  userId: string;
  /** The user's current aggregate version. */
  version: number;
  email: string;
  name: string;
  avatarUrl: null | string;
  registeredAt: number;
  updatedAt: number;
  /** Why the state was re-emitted. */
  reason: SnapshotReason;
}
