// `halite presets`: the named configs, one line each.
import type { Command } from 'commander';
import { withoutTorch } from './threads.js';

export function register(program: Command): void {
  withoutTorch(program
    .command('presets')
    .description('list the named configs (use with train --preset NAME or cv --preset NAME)')
    .option('--show <name>', "print a preset's full config as JSON")
    .action(async (o: { show?: string }) => {
      const { PRESETS } = await import('../train/presets.js');
      if (o.show) {
        const p = PRESETS[o.show];
        if (!p) throw new Error(`unknown preset '${o.show}' (known: ${Object.keys(PRESETS).join(', ')})`);
        console.log(JSON.stringify(p.config, null, 2));
        return;
      }
      const w = Math.max(...Object.keys(PRESETS).map((n) => n.length));
      for (const [name, p] of Object.entries(PRESETS)) console.log(`${name.padEnd(w)}  ${p.description}`);
    }));
}
