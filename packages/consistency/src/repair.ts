import type pg from 'pg';
import type { Outbox } from '@evergreen/outbox';
import { withTransaction } from '@evergreen/platform';
import { isPossibleUserId, lockUserStates, userDeletionRestated, userFromRow, userSnapshot, USER_COLUMNS, type User, type UserRow } from '@evergreen/user-aggregate';
import type { Drift } from './verify.ts';

export interface RepairSummary {
  /** Live users whose current state was re-emitted at their version. */
  restated: number;
  /** Live users a read model held at their version or beyond with other content: re-emitted at a new version. */
  bumped: number;
  /** Deletions re-emitted (resurrected entries, and orphans PostgreSQL never had). */
  deletions: number;
  /**
   * Ids a read model holds that no user can have (not a UUID in canonical form): no event can
   * address them, and one emitted for them would be refused by every consumer, so they are left
   * alone and named, for an operator to delete.
   */
  foreign: string[];
}

/** What the read models hold for one aggregate, across every drift reported for it. */
interface Need {
  id: string;
  /** The highest version any read model holds (live or deleted). */
  highestProjected: number;
  /** A read model holds this version or a newer one with other content: the fence only moves forward. */
  mustOutrank: boolean;
}

function needsOf(drifts: readonly Drift[]): Need[] {
  const needs = new Map<string, Need>();
  for (const drift of drifts) {
    const need = needs.get(drift.id) ?? { id: drift.id, highestProjected: 0, mustOutrank: false };
    need.highestProjected = Math.max(need.highestProjected, drift.projected?.version ?? 0);
    if (drift.kind === 'mismatch') need.mustOutrank = true;
    needs.set(drift.id, need);
  }
  return [...needs.values()];
}

/**
 * Repairs drift through the pipeline, never around it: for each drifted user it reads the row (and
 * locks it, so no change can commit in between) and writes the user's current state into the
 * outbox in the same transaction. The relay puts it on the compacted topic, where it is the newest
 * record for the key; every group and the cache converge on it.
 * - a live user is re-emitted as a UserSnapshot at its version; where a read model already holds
 *   that version (or a newer one) with other content, the row's version is raised past it first,
 *   because consumers only ever move forward;
 * - a deleted user, or one PostgreSQL never had, is re-emitted as a deletion at a version above
 *   whatever a read model holds, so its entry becomes a deletion marker and the topic forgets it;
 * - an id no user can have is left alone and named (RepairSummary.foreign).
 */
export async function repairUsers(pool: pg.Pool, outbox: Outbox, drifts: readonly Drift[], batchSize = 500): Promise<RepairSummary> {
  const summary: RepairSummary = { restated: 0, bumped: 0, deletions: 0, foreign: [] };
  const needs = needsOf(drifts).filter((need) => isPossibleUserId(need.id) || (summary.foreign.push(need.id), false));
  for (let start = 0; start < needs.length; start += batchSize) {
    const batch = needs.slice(start, start + batchSize);
    await withTransaction(pool, async (tx) => {
      const states = await lockUserStates(
        tx,
        batch.map((need) => need.id),
      );
      for (const need of batch) {
        const state = states.get(need.id);
        if (state && !state.deleted) {
          let user: User = state.user;
          if (need.mustOutrank || need.highestProjected > user.version) {
            const { rows } = await tx.query<UserRow>(`UPDATE users SET version = $2 WHERE id = $1 RETURNING ${USER_COLUMNS}`, [need.id, Math.max(user.version, need.highestProjected) + 1]);
            user = userFromRow(rows[0] as UserRow);
            summary.bumped += 1;
          } else {
            summary.restated += 1;
          }
          await outbox.publish(tx, userSnapshot(user, 'REPAIR'));
          continue;
        }
        const version = Math.max(state?.version ?? 0, need.highestProjected + 1);
        if (state && version !== state.version) await tx.query('UPDATE user_deletions SET version = $2 WHERE id = $1', [need.id, version]);
        await outbox.publish(tx, userDeletionRestated(need.id, version));
        summary.deletions += 1;
      }
    });
  }
  return summary;
}
