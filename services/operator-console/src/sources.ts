import type { DlqPosition } from '@evergreen/consumer/dlq';
import type { ParkRequest } from '@evergreen/consumer/dlq';
import type { ComponentView, ConsumersView, DeadLettersView, DriftView, ParkView, RelayView, ReplayView, SchemaSubjectView } from './views.ts';

export interface DeadLetterQuery {
  /** Only this aggregate's dead-letter topic; every one of the prefix otherwise. */
  aggregate?: string;
  /** Only the dead letters this consumer group refused. */
  group?: string;
  /** The newest this many per topic. */
  limit: number;
}

export interface ReplayRequest {
  topic: string;
  positions: DlqPosition[];
  /** For dead letters that do not name the group that refused them. */
  group?: string;
}

/**
 * Everything the page shows and does, each through the function the command line uses for it:
 * readRelayHealth (relay monitor, stack:status), listDeadLetters/replayDeadLetters/parkWith (`npm run dlq`),
 * verify/repairAndVerify (`npm run verify`/`repair`), the consumers' own /metrics. The app knows
 * only this interface, so its routes are tested with a fake one.
 */
export interface ConsoleSources {
  components(): Promise<ComponentView[]>;
  relay(): Promise<RelayView[]>;
  consumers(): ConsumersView;
  deadLetters(query: DeadLetterQuery): Promise<DeadLettersView>;
  schemas(): Promise<SchemaSubjectView[]>;
  drift(): DriftView;
  /** Resolves to false when Connect does not know the connector. */
  restartConnector(name: string, task?: number): Promise<boolean>;
  /** Refuses (RefusedError) what replayDeadLetters refuses; nothing is replayed then. */
  replay(request: ReplayRequest): Promise<ReplayView>;
  /** Moves aside the record a group is retrying (parkWith, as `npm run dlq -- park`); refuses (RefusedError) otherwise. */
  park(request: ParkRequest): Promise<ParkView>;
  /** Refuses (RefusedError) while a verify or repair runs. */
  verify(): Promise<DriftView>;
  repair(): Promise<DriftView>;
}
