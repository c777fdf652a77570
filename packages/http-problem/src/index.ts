export { errorHandler, explainPattern, notFoundHandler, problem, sendProblem } from './problem.ts';
export type { Problem } from './problem.ts';
export { DEPENDENCY_NAMES, isRedisUnavailable, RETRY_AFTER_SECONDS, unavailableDependency } from './dependency.ts';
export type { Dependency } from './dependency.ts';
export { AllowedMethods } from './allowed-methods.ts';
export { runTraced, traceRequests } from './request-tracing.ts';
