// Generated from OrderCancelled.avsc, OrderPlaced.avsc by `npm run schemas:types`; do not edit. A unit test fails when it is stale.

export type OrderStatus = 'PLACED' | 'CANCELLED';

export interface OrderItem {
  sku: string;
  quantity: number;
  /** The price of one unit, in the order's currency's smallest unit. */
  unitPriceCents: number;
}

/** An order was cancelled. Carries the order's whole state after the cancellation (status CANCELLED), so this event alone rewrites a read model's entry. */
export interface OrderCancelled {
  /** The aggregate id; also the Kafka key. */
  orderId: string;
  /** The order's aggregate version after this change; starts at 1 and grows by one per change. */
  version: number;
  /** Who ordered: a user of the user aggregate, checked against the order service's replica. */
  userId: string;
  status: OrderStatus;
  items: Array<OrderItem>;
  /** The sum of quantity × unitPriceCents over the items. */
  totalCents: number;
  /** ISO 4217 code, e.g. EUR. */
  currency: string;
  placedAt: number;
  cancelledAt: number;
}

/** A user placed an order. Carries the order's whole state after placing it, so this event alone builds a read model's entry. */
export interface OrderPlaced {
  /** The aggregate id; also the Kafka key. */
  orderId: string;
  /** The order's aggregate version after this change; starts at 1 and grows by one per change. */
  version: number;
  /** Who ordered: a user of the user aggregate, checked against the order service's replica. */
  userId: string;
  status: OrderStatus;
  items: Array<OrderItem>;
  /** The sum of quantity × unitPriceCents over the items. */
  totalCents: number;
  /** ISO 4217 code, e.g. EUR. */
  currency: string;
  placedAt: number;
}
