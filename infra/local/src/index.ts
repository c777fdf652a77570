export { localStack, stackUp, stackDown, stackStatus, isStackUp, stackReset, ensureDatabase } from './stack.ts';
export type { LocalStack, ComponentStatus } from './stack.ts';
export { Supervisor } from './supervisor/supervisor.ts';
export type { ServiceSpec, SupervisorOptions } from './supervisor/supervisor.ts';
export { builtServices } from './supervisor/services.ts';
export { DEFAULT_RESTART_POLICY } from './supervisor/backoff.ts';
export type { RestartPolicy } from './supervisor/backoff.ts';
