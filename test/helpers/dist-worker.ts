// One rank of a test/distributed.test.ts scenario in its own process: `node --import tsx
// dist-worker.ts SCENARIO`, configured by the environment; prints the rank's report as one JSON line.
import { scenarios } from './dist-scenarios.js';

const name = process.argv[2] ?? '';
const run = scenarios[name];
if (!run) throw new Error(`dist-worker: unknown scenario '${name}' (expected ${Object.keys(scenarios).join(', ')})`);
console.log(JSON.stringify(await run(process.env)));
// A lost-peer rank may leave a broken group behind; nothing else is left to wait for.
process.exit(0);
