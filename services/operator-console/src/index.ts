export { buildApp } from './app.ts';
export type { AppOptions } from './app.ts';
export type { ConsoleSources } from './sources.ts';
export { TOKEN_VARIABLE } from './action-guard.ts';
export { SERVICES_VARIABLE } from './services.ts';
