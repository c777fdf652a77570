import { outboxEvent, type OutboxEvent } from '@evergreen/outbox';
import { orderAggregate, type OrderItem, type OrderStatus } from '@evergreen/schemas';

/** An order as the API returns it and its events carry it. */
export interface Order {
  id: string;
  userId: string;
  status: OrderStatus;
  items: OrderItem[];
  totalCents: number;
  currency: string;
  version: number;
  placedAt: string;
  cancelledAt: string | null;
}

export interface OrderRow {
  id: string;
  user_id: string;
  status: OrderStatus;
  items: OrderItem[];
  total_cents: string;
  currency: string;
  version: string;
  placed_at: Date;
  cancelled_at: Date | null;
}

/** The columns orderFromRow reads. */
export const ORDER_COLUMNS = 'id, user_id, status, items, total_cents, currency, version, placed_at, cancelled_at';

export function orderFromRow(row: OrderRow): Order {
  return {
    id: row.id,
    userId: row.user_id,
    status: row.status,
    items: row.items,
    totalCents: Number(row.total_cents),
    currency: row.currency,
    version: Number(row.version),
    placedAt: row.placed_at.toISOString(),
    cancelledAt: row.cancelled_at?.toISOString() ?? null,
  };
}

// Every event carries the order's whole state (event-carried state transfer).
const state = (order: Order) => ({
  orderId: order.id,
  version: order.version,
  userId: order.userId,
  status: order.status,
  items: order.items,
  totalCents: order.totalCents,
  currency: order.currency,
  placedAt: Date.parse(order.placedAt),
});

export function orderPlaced(order: Order): OutboxEvent {
  return outboxEvent(orderAggregate, 'OrderPlaced', { aggregateId: order.id, aggregateVersion: order.version, data: state(order) });
}

export function orderCancelled(order: Order & { cancelledAt: string }): OutboxEvent {
  return outboxEvent(orderAggregate, 'OrderCancelled', { aggregateId: order.id, aggregateVersion: order.version, data: { ...state(order), cancelledAt: Date.parse(order.cancelledAt) } });
}
