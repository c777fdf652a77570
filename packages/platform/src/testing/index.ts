export { freePort, ScratchProcess, spawnScratch, timed } from './scratch-process.ts';
export { startScratchRedis } from './scratch-redis.ts';
export type { ScratchRedis } from './scratch-redis.ts';
export { startScratchPostgres } from './scratch-postgres.ts';
export type { ScratchPostgres } from './scratch-postgres.ts';
export { startScratchHttpServer } from './scratch-http.ts';
export type { CannedAnswer, ScratchHttpServer } from './scratch-http.ts';
export { describeServerTimeouts, expectServerBounds, expectSlowClientsCutOff, idleKeptAliveClient, silentClient, TEST_SERVER_TIMEOUTS, tricklingClient } from './slow-client.ts';
export type { ListeningApp, SlowClientOutcome } from './slow-client.ts';
