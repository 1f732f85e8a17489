// One rank of a test/ddp.test.ts job in its own process: `node --import tsx ddp-worker.ts CONFIG.json`
// trains a new run, `ddp-worker.ts --resume RUN` resumes one; torchrun's variables (RANK, WORLD_SIZE,
// MASTER_ADDR, MASTER_PORT) make it a data-parallel rank, DDP_TIMEOUT_MS bounds its collectives.
// Prints "batch E.K" as each step ends (for the fault test) and the result as the last line (JSON).
import { readFileSync } from 'node:fs';
import { initProcessGroup } from '../../src/distributed/index.js';
import { train } from '../../src/train/trainer.js';
import { registerTinyNet } from './ddp-model.js';

registerTinyNet();
const [a, b] = process.argv.slice(2);
const group = process.env.WORLD_SIZE ? await initProcessGroup({ timeoutMs: Number(process.env.DDP_TIMEOUT_MS ?? 60000) }) : undefined;
const delay = Number(process.env.DDP_BATCH_DELAY_MS ?? 0);
try {
  const r = await train(a === '--resume' ? { resume: b! } : JSON.parse(readFileSync(a!, 'utf8')), {
    log: (l) => console.error(l),
    group,
    onBatch: (epoch, k) => {
      console.log(`batch ${epoch}.${k}`);
      // Slows the steps down so a test can kill a rank mid-epoch.
      if (delay) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delay);
    },
  });
  console.log(JSON.stringify(r));
  group?.destroy();
  process.exit(0);
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
}
