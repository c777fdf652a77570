import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Outbox } from '@evergreen/outbox';
import { withTransaction } from '@evergreen/platform';
import type { OrderItem } from '@evergreen/schemas';
import { ORDER_COLUMNS, orderCancelled, orderFromRow, orderPlaced, type Order, type OrderRow } from './order.ts';

export interface OrderInput {
  userId: string;
  items: OrderItem[];
  currency: string;
}

/** The user is not in the replica: never registered, or deleted (or not replicated yet). */
export class UnknownUserError extends Error {
  constructor(readonly userId: string) {
    super(`user ${userId} is not a known user`);
    this.name = 'UnknownUserError';
  }
}

export class OrderNotFoundError extends Error {
  constructor(readonly orderId: string) {
    super(`no order ${orderId}`);
    this.name = 'OrderNotFoundError';
  }
}

export class OrderAlreadyCancelledError extends Error {
  constructor(readonly order: Order) {
    super(`order ${order.id} was cancelled at ${order.cancelledAt ?? '?'}`);
    this.name = 'OrderAlreadyCancelledError';
  }
}

/**
 * Places an order for a user the replica holds, and its OrderPlaced, in one transaction. The
 * replica's row is locked FOR SHARE until the commit: a deletion the replica is applying meanwhile
 * waits, so an order is never placed for a user the replica has already removed.
 */
export async function placeOrder(pool: pg.Pool, outbox: Outbox, input: OrderInput): Promise<Order> {
  return withTransaction(pool, async (tx) => {
    const { rowCount } = await tx.query('SELECT 1 FROM user_replica WHERE id = $1 FOR SHARE', [input.userId]);
    if (rowCount === 0) throw new UnknownUserError(input.userId);
    const totalCents = input.items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
    const { rows } = await tx.query<OrderRow>(
      `INSERT INTO orders (id, user_id, status, items, total_cents, currency, version)
       VALUES ($1, $2, 'PLACED', $3, $4, $5, 1) RETURNING ${ORDER_COLUMNS}`,
      [randomUUID(), input.userId, JSON.stringify(input.items), totalCents, input.currency],
    );
    const order = orderFromRow(rows[0] as OrderRow);
    await outbox.publish(tx, orderPlaced(order));
    return order;
  });
}

/** Cancels a placed order, at its next version, with its OrderCancelled, in one transaction. */
export async function cancelOrder(pool: pg.Pool, outbox: Outbox, orderId: string): Promise<Order> {
  return withTransaction(pool, async (tx) => {
    const { rows: current } = await tx.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE id = $1 FOR UPDATE`, [orderId]);
    const found = current[0];
    if (!found) throw new OrderNotFoundError(orderId);
    if (found.status === 'CANCELLED') throw new OrderAlreadyCancelledError(orderFromRow(found));
    const { rows } = await tx.query<OrderRow>(
      `UPDATE orders SET status = 'CANCELLED', cancelled_at = now(), version = version + 1 WHERE id = $1 RETURNING ${ORDER_COLUMNS}`,
      [orderId],
    );
    const order = orderFromRow(rows[0] as OrderRow);
    await outbox.publish(tx, orderCancelled({ ...order, cancelledAt: order.cancelledAt ?? new Date().toISOString() }));
    return order;
  });
}

export async function readOrder(pool: pg.Pool, orderId: string): Promise<Order | undefined> {
  const { rows } = await pool.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE id = $1`, [orderId]);
  return rows[0] ? orderFromRow(rows[0]) : undefined;
}
