export { createOrderCache, ORDER_CACHE_AGGREGATES } from './order-cache.ts';
export type { OrderCacheOptions } from './order-cache.ts';
export { OrderCacheSink } from './order-cache-sink.ts';
export type { CacheOrder, ForgetUserOrders, OrderCacheOperation } from './order-cache-sink.ts';
export { orderCacheHandlers, orderFields, userOrdersHandlers } from './order-projection.ts';
export { orderKey, userOrdersDeletedKey, userOrdersKey } from './keys.ts';
