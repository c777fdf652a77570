import { type AggregateHandlers, type ConsumedEvent, type Handler } from '@evergreen/consumer';
import type { OrderAggregate, OrderCancelled, OrderPlaced, UserAggregate } from '@evergreen/schemas';
import type { OrderCacheOperation } from './order-cache-sink.ts';

/** The fields of an order's entry (besides `version`): its whole state as the event carries it. */
export function orderFields(order: OrderPlaced | OrderCancelled, eventId: string): string[] {
  return [
    'id', order.orderId,
    'userId', order.userId,
    'status', order.status,
    'items', JSON.stringify(order.items),
    'totalCents', String(order.totalCents),
    'currency', order.currency,
    'placedAt', String(order.placedAt),
    'cancelledAt', 'cancelledAt' in order ? String(order.cancelledAt) : '',
    'eventId', eventId,
  ];
}

const cacheOrder: Handler<OrderCacheOperation, OrderPlaced | OrderCancelled> = (event: ConsumedEvent<OrderPlaced | OrderCancelled>) => {
  return { kind: 'order', orderId: event.aggregateId, userId: event.payload.userId, version: event.aggregateVersion, fields: orderFields(event.payload, event.eventId) };
};

/** Every order event rewrites the order's entry and indexes it under its user. */
export const orderCacheHandlers: AggregateHandlers<OrderAggregate, OrderCacheOperation> = {
  OrderPlaced: cacheOrder,
  OrderCancelled: cacheOrder,
};

// The user's state is the user cache's affair; only the deletion matters here.
const nothing = () => undefined;

/** Of the user's events, the deletion forgets the user's order ids. */
export const userOrdersHandlers: AggregateHandlers<UserAggregate, OrderCacheOperation> = {
  UserRegistered: nothing,
  UserProfileUpdated: nothing,
  UserSnapshot: nothing,
  UserDeleted: (event) => ({ kind: 'forget-user', userId: event.aggregateId, version: event.aggregateVersion }),
};
