/**
 * How every Lambda is bundled, in one place: the CDK app (through local asset bundling, no Docker)
 * and the benchmark build the exact same bundle. esbuild, ESM, minified, for Node 22, with the
 * AWS SDK inside the bundle (the versions the tests ran, not the runtime's).
 *
 * One deliberate trim: zod's namespace export keeps all ~40 message locales alive (~260 KB);
 * the autoscaler only ever uses English messages, so the locale index is reduced to `en`.
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLED_CONFIG_FILE, BUNDLED_EDGE_MANIFESTS_FILE } from '../functions/commons/bundled-files';
import type { AutoscalerConfig } from '../functions/domain/config';
import { EDGE_AGENT_FILE, type KubernetesManifest } from '../functions/domain/edge-manifests';

const englishOnlyZodLocales: Plugin = {
  name: 'english-only-zod-locales',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: "export { default as en } from './en.js';",
      loader: 'js',
    }));
  },
};

export const LAMBDA_BUILD_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  minify: true,
  sourcemap: false,
  mainFields: ['module', 'main'],
  // ESM bundles of CommonJS dependencies need require().
  banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
  plugins: [englishOnlyZodLocales],
  logLevel: 'error',
};

/** Bundles one handler file into `outfile` (an .mjs file exporting `handler`). */
export async function bundleLambda(entry: string, outfile: string): Promise<void> {
  await build({ ...LAMBDA_BUILD_OPTIONS, entryPoints: [entry], outfile });
}

/** Files a Lambda reads from its own bundle, beside index.mjs (functions/commons/bundled-files.ts reads them). */
export interface BundledFiles {
  /** The validated configuration, as autoscaler-config.json: every AutoscalerFunction has it. */
  config?: AutoscalerConfig;
  /** edge-agent.mjs: the edge task ships it to the edges in a ConfigMap. */
  edgeAgent?: boolean;
  /** The custom edge manifests (`edge.manifestsPath`, validated at synth), as edge-manifests.json. */
  edgeManifests?: KubernetesManifest[];
  /** MMDB files, copied in this order to geo/ with geo/index.json listing them (the collector). */
  geoDatabaseFiles?: string[];
}

/** Bundles a handler into `outDir`/index.mjs, with the files it reads beside it. */
export async function bundleLambdaDirectory(entry: string, outDir: string, files: BundledFiles = {}): Promise<void> {
  await bundleLambda(entry, join(outDir, 'index.mjs'));
  if (files.config) writeFileSync(join(outDir, BUNDLED_CONFIG_FILE), JSON.stringify(files.config));
  if (files.edgeManifests)
    writeFileSync(join(outDir, BUNDLED_EDGE_MANIFESTS_FILE), JSON.stringify(files.edgeManifests));
  if (files.edgeAgent) await bundleEdgeAgent(join(outDir, EDGE_AGENT_FILE));
  if (files.geoDatabaseFiles) {
    mkdirSync(join(outDir, 'geo'), { recursive: true });
    const names = files.geoDatabaseFiles.map((file, i) => `${i}-${basename(file)}`);
    files.geoDatabaseFiles.forEach((file, i) => copyFileSync(file, join(outDir, 'geo', names[i]!)));
    writeFileSync(join(outDir, 'geo', 'index.json'), JSON.stringify(names));
  }
}

/**
 * Builds the edge agent (edge/edge-agent.ts) into one dependency-free ES module for Node 22:
 * not minified, because it ships to the edge as readable ConfigMap text.
 */
export async function bundleEdgeAgent(outfile: string): Promise<void> {
  await build({
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: false,
    sourcemap: false,
    logLevel: 'error',
    entryPoints: [fileURLToPath(new URL('../edge/edge-agent.ts', import.meta.url))],
    outfile,
  });
}
