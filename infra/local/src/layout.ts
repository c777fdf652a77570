import { join } from 'node:path';
import type { StackProfile } from '@evergreen/platform';

/**
 * Where the local stack keeps everything it downloads and every file it writes: .stack/ (git-ignored);
 * the cluster profile's data, logs, pids and config under .stack/cluster/, so both profiles can run
 * side by side. The downloads (.stack/dist) are shared.
 */
export interface StackLayout {
  root: string;
  dist: string;
  data: string;
  logs: string;
  run: string;
  conf: string;
  configTemplates: string;
}

export function stackLayout(repoRoot: string, profile: StackProfile = 'single'): StackLayout {
  const shared = join(repoRoot, '.stack');
  const root = profile === 'single' ? shared : join(shared, profile);
  return {
    root,
    dist: join(shared, 'dist'),
    data: join(root, 'data'),
    logs: join(root, 'logs'),
    run: join(root, 'run'),
    conf: join(root, 'conf'),
    configTemplates: join(repoRoot, 'infra', 'local', 'config'),
  };
}

export const logFile = (layout: StackLayout, component: string) => join(layout.logs, `${component}.log`);
export const pidFile = (layout: StackLayout, component: string) => join(layout.run, `${component}.pid`);
