// Redis keys of the order cache. A user's order ids and that user's deletion marker are read and
// written by one script, so they share the hash tag {<userId>}: one slot on a Redis Cluster.

/** An order's hash, looked up by its id; written on its own. */
export const orderKey = (orderId: string) => `evergreen:order:{${orderId}}`;
/** A SET of the user's order ids. */
export const userOrdersKey = (userId: string) => `evergreen:user-orders:{${userId}}`;
/** The version at which the user was deleted: no order id is added for that user any more. */
export const userOrdersDeletedKey = (userId: string) => `evergreen:user-orders-deleted:{${userId}}`;
