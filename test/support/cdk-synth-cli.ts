/** The real `npx cdk synth` of a configuration file, offline and without credentials (the CLI tests). */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CliSynthResult {
  status: number | null;
  /** stdout and stderr: the CDK CLI writes its messages to stdout when CI=true and to stderr otherwise. */
  output: string;
  outDir: string;
}

/** Writes `config` to `<dir>/autoscaler.json` and synthesizes it into `<dir>/cdk.out`. */
export function synthConfigFile(dir: string, config: unknown): CliSynthResult {
  const path = join(dir, 'autoscaler.json');
  writeFileSync(path, JSON.stringify(config));
  const outDir = join(dir, 'cdk.out');
  const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '-o', outDir, '-c', `autoscalerConfig=${path}`], {
    encoding: 'utf8',
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_PROFILE: '',
      CDK_DISABLE_VERSION_CHECK: '1',
    },
    // A hang detector: a loaded 2-core machine once took over 300 s for one synth.
    timeout: 600_000,
  });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}`, outDir };
}
