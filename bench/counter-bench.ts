/**
 * The demand counter's memory with 100,000 distinct clients in one period, measured on the built
 * edge agent (the script the edge pods run) in a fresh `node --expose-gc` process: heap in use
 * after a full collection, with the counter holding the open period, minus the same once the
 * agent had started. The clients are spread as real traffic is: 20 per prefix, 70% of the
 * prefixes IPv4 /24s and 30% IPv6 /48s (each IPv6 client in its own /64), fed as the syslog
 * datagrams nginx sends (a cache hit each).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleEdgeAgent } from '../infra/lambda-bundling';

const CLIENTS = 100_000;

/** Runs in the child process: prints the heap growth and the clients tracked. */
const probe = (agentUrl: string, cacheDir: string, maxTrackedClients: number) => `
import { startEdgeAgent } from ${JSON.stringify(agentUrl)};
const t0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const stamp = ((t0 + 1000) / 1000).toFixed(3);
function address(n) {
  const prefix = Math.floor(n / 20);
  const host = n % 20;
  if (prefix % 10 < 7) return \`\${11 + (prefix % 200)}.\${(prefix >> 8) & 255}.\${prefix & 255}.\${1 + host * 12}\`;
  const subnet = (prefix * 7919 + host * 104729) & 0xffff;
  return \`2001:\${(0x400 + (prefix >> 4)).toString(16)}:\${(prefix & 15).toString(16)}a0:\${subnet.toString(16)}:\${(0x1000 + host * 331).toString(16)}:fe12:a3b4:\${(n & 0xffff).toString(16)}\`;
}
const measure = () => { globalThis.gc(); globalThis.gc(); return process.memoryUsage().heapUsed; };
const agent = await startEdgeAgent({
  periodSeconds: 60,
  maxTrackedClients: ${maxTrackedClients},
  now: () => t0,
  cacheDir: ${JSON.stringify(cacheDir)},
  syslogPort: 0,
  httpPort: 0,
  httpHost: '127.0.0.1',
});
const counter = agent.counter;
const before = measure();
for (let n = 0; n < ${CLIENTS}; n++) counter.recordLine(\`<190>Dec  1 10:00:01 edge_agent: \${stamp} \${address(n)} HIT 0.004\`);
const after = measure();
console.log(JSON.stringify({ bytes: after - before, tracked: counter.openTrackedClients() }));
await agent.stop();
`;

/** Heap bytes of a counter holding 100,000 distinct clients in one period (a cap below that bounds it). */
export async function measureCounter(
  maxTrackedClients = 200_000, // the default of demand.counter.maxTrackedClients
): Promise<{ counterBytesAt100kClients: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'counter-bench-'));
  const agent = join(dir, 'edge-agent.mjs');
  await bundleEdgeAgent(agent);
  const cacheDir = join(dir, 'cache');
  mkdirSync(cacheDir);
  const script = join(dir, 'probe.mjs');
  writeFileSync(script, probe(pathToFileURL(agent).href, cacheDir, maxTrackedClients));

  const runs: number[] = [];
  for (let run = 0; run < 3; run++) {
    const result = spawnSync(process.execPath, ['--expose-gc', script], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`the counter bench failed: ${result.stderr}`);
    const { bytes, tracked } = JSON.parse(result.stdout) as { bytes: number; tracked: number };
    const expected = Math.min(CLIENTS, maxTrackedClients);
    if (tracked !== expected) throw new Error(`the counter tracked ${tracked} clients, expected ${expected}`);
    runs.push(bytes);
  }
  return { counterBytesAt100kClients: runs.sort((a, b) => a - b)[1]! };
}
