export { codeOfReason, DEPENDENCIES, dispositionOf, ERROR_CODES, ErrorCode, reasonOf } from './codes.ts';
export type { Dependency, Disposition } from './codes.ts';
export { describeError, EvergreenError, isEvergreenError, messageOf } from './evergreen-error.ts';
export type { EvergreenErrorOptions } from './evergreen-error.ts';
export { classify, toEvergreenError } from './classify.ts';
export type { Classification, ClassifyContext } from './classify.ts';
export { DEPENDENCY_STATES, dependencyStateOf, EXIT, exitCodeOf, httpStatusOf, publicReason } from './surfaces.ts';
export type { DependencyState, ExitCode } from './surfaces.ts';
