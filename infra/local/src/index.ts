export { localStack, stackUp, stackDown, stackStatus, isStackUp, stackReset } from './stack.ts';
export type { LocalStack, ComponentStatus } from './stack.ts';
