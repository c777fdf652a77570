import { defineAggregate, payload, uuidKey } from '@evergreen/event-catalog';
import type { OrderCancelled, OrderPlaced } from './payloads.generated.ts';

/**
 * The order: topic `<prefix>.order`, keyed by order id, written by services/order-service through
 * the outbox of its own database. Every event carries the order's whole state.
 */
export const orderAggregate = defineAggregate({
  type: 'order',
  events: {
    OrderPlaced: payload<OrderPlaced>(),
    OrderCancelled: payload<OrderCancelled>(),
  },
  // Made by the writer with crypto.randomUUID().
  key: uuidKey,
  // Every payload carries the whole state, its id and version included.
  state: { idField: 'orderId', versionField: 'version' },
});

export type OrderAggregate = typeof orderAggregate;
export type { OrderCancelled, OrderItem, OrderPlaced, OrderStatus } from './payloads.generated.ts';
