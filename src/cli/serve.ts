// `halite serve`: the local web app over a runs folder and a data set.
import type { Command } from 'commander';
import { existingFolder, positiveNumber, wholeNumber } from './parse.js';

export function register(program: Command): void {
  program
    .command('serve')
    .description('local web app: runs with live training curves, reports, data explorer, validation predictions with a threshold slider, "try it" uploads, and a viewer of predicted SEG-Y surveys')
    .option('--runs <dir>', 'folder of run directories', 'runs')
    .option('--data <dir>', "TGS folder for Explore (default: the newest run's data)", existingFolder)
    .option('--surveys <dir>', 'folder of predicted surveys for the Surveys viewer: X.sgy with X.salt.sgy (halite predict --segy X.sgy --out X.salt.sgy), or subfolders with survey.json')
    .option('--host <host>', 'address to bind (other machines can reach it only if you bind 0.0.0.0)', '127.0.0.1')
    .option('--port <n>', 'port (0 picks a free one)', wholeNumber(0, 65535), 8080)
    .option('--max-upload-mb <mb>', 'upload size cap for "try it" (default: 8)', positiveNumber)
    .action(async (o: { runs: string; data?: string; surveys?: string; host: string; port: number; maxUploadMb?: number }) => {
      const { serve } = await import('../serve/server.js');
      const maxUploadBytes = o.maxUploadMb !== undefined ? Math.round(o.maxUploadMb * 1048576) : undefined;
      const s = await serve({ runsDir: o.runs, dataDir: o.data, surveysDir: o.surveys, host: o.host, port: o.port, maxUploadBytes });
      for (const w of s.warnings) console.warn(w);
      console.log(`halite serve: ${s.url} (runs ${o.runs}${o.data ? `, data ${o.data}` : ''}${o.surveys ? `, surveys ${o.surveys}` : ''}); Ctrl-C stops it`);
      const stop = () => { void s.close().then(() => process.exit(0)); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
