export { buildApp } from './app.ts';
export type { AppOptions } from './app.ts';
export { orderServiceMigrations } from './migrations.ts';
export { createUserReplica, forgetUser, upsertUser, userReplicaHandlers, USER_REPLICA_CONSUMER } from './replica/user-replica.ts';
export type { UserReplicaOptions } from './replica/user-replica.ts';
export { cancelOrder, placeOrder, readOrder, UnknownUserError, OrderNotFoundError, OrderAlreadyCancelledError } from './orders/orders.ts';
export type { OrderInput } from './orders/orders.ts';
export type { Order } from './orders/order.ts';
