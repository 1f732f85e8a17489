// `halite serve`: the local web app over a runs folder and a data set.
import type { Command } from 'commander';
import { DEFAULT_MAX_UPLOAD, serve } from '../serve/server.js';

export function register(program: Command): void {
  program
    .command('serve')
    .description('local web app: runs with live training curves, reports, data explorer, validation predictions with a threshold slider, and "try it" uploads')
    .option('--runs <dir>', 'folder of run directories', 'runs')
    .option('--data <dir>', "TGS folder for Explore (default: the newest run's data)")
    .option('--host <host>', 'address to bind (other machines can reach it only if you bind 0.0.0.0)', '127.0.0.1')
    .option('--port <n>', 'port (0 picks a free one)', '8080')
    .option('--max-upload-mb <mb>', 'upload size cap for "try it"', String(DEFAULT_MAX_UPLOAD / 1048576))
    .action(async (o: { runs: string; data?: string; host: string; port: string; maxUploadMb: string }) => {
      const port = Number(o.port), mb = Number(o.maxUploadMb);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: expected 0..65535, got ${o.port}`);
      if (!(mb > 0)) throw new Error(`--max-upload-mb: expected a positive number, got ${o.maxUploadMb}`);
      const s = await serve({ runsDir: o.runs, dataDir: o.data, host: o.host, port, maxUploadBytes: Math.round(mb * 1048576) });
      for (const w of s.warnings) console.warn(w);
      console.log(`halite serve: ${s.url} (runs ${o.runs}${o.data ? `, data ${o.data}` : ''}); Ctrl-C stops it`);
      const stop = () => { void s.close().then(() => process.exit(0)); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
