/**
 * How every Lambda is bundled, in one place: the CDK app (through local asset bundling, no Docker)
 * and the benchmark build the exact same bundle. esbuild, ESM, minified, for Node 22, with the
 * AWS SDK inside the bundle (the versions the tests ran, not the runtime's).
 *
 * One deliberate trim: zod's namespace export keeps all ~40 message locales alive (~260 KB);
 * the autoscaler only ever uses English messages, so the locale index is reduced to `en`.
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';

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
