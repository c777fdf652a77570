import type { StackConfig } from '@evergreen/platform';
import type { StackLayout } from './layout.ts';

/** What every component of the local stack is given. */
export interface StackContext {
  config: StackConfig;
  layout: StackLayout;
  /** Values for ${env:NAME} placeholders in config templates: infra/*.env, the environment, .stack paths. */
  templateValues: Record<string, string>;
}

export interface Component {
  name: string;
  /** Where it listens, for `stack:status` and the README. */
  endpoint: string;
  /** The main process's pid while it is alive, according to its pid file. */
  pid(): number | undefined;
  /** Answers its health check now. */
  isHealthy(): Promise<boolean>;
  /** Starts it (first start also initialises its data) and returns once it is healthy. */
  start(): Promise<void>;
  stop(): Promise<void>;
}
