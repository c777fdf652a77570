import { join } from 'node:path';

/** Where the local stack keeps everything it downloads and every file it writes: .stack/ (git-ignored). */
export interface StackLayout {
  root: string;
  dist: string;
  data: string;
  logs: string;
  run: string;
  conf: string;
  configTemplates: string;
}

export function stackLayout(repoRoot: string): StackLayout {
  const root = join(repoRoot, '.stack');
  return {
    root,
    dist: join(root, 'dist'),
    data: join(root, 'data'),
    logs: join(root, 'logs'),
    run: join(root, 'run'),
    conf: join(root, 'conf'),
    configTemplates: join(repoRoot, 'infra', 'local', 'config'),
  };
}

export const logFile = (layout: StackLayout, component: string) => join(layout.logs, `${component}.log`);
export const pidFile = (layout: StackLayout, component: string) => join(layout.run, `${component}.pid`);
