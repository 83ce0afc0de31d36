/**
 * Starts the suites that take minutes first. CI runs on a fresh clone with no jest cache, where
 * jest orders suites by file size: these small files would start mid-run and the last of them
 * would run alone at the end, with a core idle. The rest keep jest's own order.
 */
import testSequencer from '@jest/test-sequencer';

// A CommonJS module: its class is the `default` of its exports.
const Sequencer = testSequencer.default;

const SLOW_FIRST = [
  'deployed-fault-matrix-scale-up',
  'deployed-fault-matrix-scale-down',
  'synth-cli',
  'sandbox-run',
  'sandbox-rollout',
  'warm-standby-deployed',
  'region-lifecycle',
  'decision-races',
  'edge-rollout',
  'cluster-upgrade',
];

function rank(test) {
  const index = SLOW_FIRST.findIndex((name) => test.path.endsWith(`/${name}.test.ts`));
  return index === -1 ? SLOW_FIRST.length : index;
}

class SlowFirstSequencer extends Sequencer {
  async sort(tests) {
    const ordered = await super.sort(tests);
    return [...ordered].sort((a, b) => rank(a) - rank(b));
  }
}

export default SlowFirstSequencer;
