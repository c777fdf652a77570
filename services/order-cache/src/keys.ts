/** Redis keys of the order cache. */
export const orderKey = (orderId: string) => `evergreen:order:${orderId}`;
/** A SET of the user's order ids. */
export const userOrdersKey = (userId: string) => `evergreen:user-orders:${userId}`;
/** The version at which the user was deleted: no order id is added for that user any more. */
export const userOrdersDeletedKey = (userId: string) => `evergreen:user-orders-deleted:${userId}`;
