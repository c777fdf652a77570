export { localStack, stackUp, stackDown, stackStatus, isStackUp, stackReset, ensureDatabase } from './stack.ts';
export type { LocalStack, ComponentStatus } from './stack.ts';
