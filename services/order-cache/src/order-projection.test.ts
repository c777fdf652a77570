import type { ConsumedEvent } from '@evergreen/consumer';
import { SAMPLE_EVENT_ID, SAMPLE_USER_ID } from '@evergreen/consumer/testing';
import type { OrderCancelled } from '@evergreen/schemas';
import { describe, expect, it } from 'vitest';
import { orderCacheHandlers, userOrdersHandlers } from './order-projection.ts';

const ORDER_ID = '9d0c3b7e-1f2a-4c5d-8e9f-0a1b2c3d4e5f';
const CANCELLED: OrderCancelled = {
  orderId: ORDER_ID,
  version: 2,
  userId: SAMPLE_USER_ID,
  status: 'CANCELLED',
  items: [{ sku: 'tea', quantity: 2, unitPriceCents: 450 }],
  totalCents: 900,
  currency: 'EUR',
  placedAt: 1_700_000_000_000,
  cancelledAt: 1_700_000_100_000,
};

function eventOf<Payload>(eventType: string, aggregateId: string, payload: Payload, aggregateVersion: number): ConsumedEvent<Payload> {
  return { eventId: SAMPLE_EVENT_ID, eventType, aggregateId, aggregateVersion, payload, headers: {}, topic: 't', partition: 0, offset: '1', occurredAt: 0 };
}

describe('the order cache', () => {
  it("writes an order's whole state at its version, to be indexed under its user", () => {
    expect(orderCacheHandlers.OrderCancelled(eventOf('OrderCancelled', ORDER_ID, CANCELLED, 2))).toEqual({
      kind: 'order',
      orderId: ORDER_ID,
      userId: SAMPLE_USER_ID,
      version: 2,
      fields: ['id', ORDER_ID, 'userId', SAMPLE_USER_ID, 'status', 'CANCELLED', 'items', '[{"sku":"tea","quantity":2,"unitPriceCents":450}]', 'totalCents', '900', 'currency', 'EUR', 'placedAt', '1700000000000', 'cancelledAt', '1700000100000', 'eventId', SAMPLE_EVENT_ID],
    });
  });

  it("forgets a deleted user's order ids at the deletion's version, and ignores the user's other events", () => {
    expect(userOrdersHandlers.UserDeleted(eventOf('UserDeleted', SAMPLE_USER_ID, null, 5))).toEqual({ kind: 'forget-user', userId: SAMPLE_USER_ID, version: 5 });
    expect(userOrdersHandlers.UserProfileUpdated(eventOf('UserProfileUpdated', SAMPLE_USER_ID, { userId: SAMPLE_USER_ID, version: 2, email: 'a@b.c', name: 'A', avatarUrl: null, registeredAt: 1, updatedAt: 2 }, 2))).toBeUndefined();
  });
});
