import { orderAggregate } from '../order/aggregate.ts';
import { userAggregate } from '../user/aggregate.ts';

/**
 * Every aggregate this monorepo publishes, one descriptor each (schemas/<type>/aggregate.ts). Its
 * topics, their retry and dead-letter topics, the registry subjects and the connectors' topic list
 * are all derived from here: adding an aggregate is adding it to this list (docs/aggregates.md).
 */
export const AGGREGATES = [userAggregate, orderAggregate] as const;

export type Aggregate = (typeof AGGREGATES)[number];
