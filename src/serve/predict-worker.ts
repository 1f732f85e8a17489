// The web app's model work, off the server's thread so it keeps answering while a model predicts:
// validation predictions for a run, predictions on uploaded images, reports, and the ONNX export
// the page's in-browser prediction runs. Models and data
// sets stay loaded between requests.
import { parentPort, workerData } from 'node:worker_threads';
import { TILE } from '../data/rle.js';
import { readTgs, type TgsData } from '../data/tgs.js';
import { predictProbabilities, predictTiles } from '../infer/predict.js';
import { existsSync, statSync } from 'node:fs';
import { exportRunOnnx } from '../export/onnx.js';
import { loadRun, runVersion, tunedPostprocess, type LoadedRun } from '../infer/run.js';
import { runHas, runPath } from '../run/layout.js';
import { predictSection } from '../infer/tiling.js';
import { writeReport } from '../report/report.js';
import { runDataFolder } from '../run/config.js';
import { setNumThreads } from '../torch/runtime.js';
import { validationTiles } from '../data/split.js';
import type { WorkerReply, WorkerRequest } from './predictor.js';

const { threads } = workerData as { threads?: number };
if (threads) setNumThreads(threads);

const runs = new Map<string, { key: string; run: LoadedRun }>();
const datasets = new Map<string, Promise<TgsData>>();

/**
 * The run's model, reloaded when its best weights change (a run still training) or its tuning does
 * (halite tune after the page was opened): the post-processing and the model's gate come from it.
 */
function model(dir: string): LoadedRun {
  const key = runVersion(dir);
  const cached = runs.get(dir);
  if (cached && cached.key === key) return cached.run;
  cached?.run.model.dispose();
  const run = loadRun(dir);
  runs.set(dir, { key, run });
  return run;
}

function data(dir: string): Promise<TgsData> {
  if (!datasets.has(dir)) datasets.set(dir, readTgs(dir, { test: false }));
  return datasets.get(dir)!;
}

async function handle(req: WorkerRequest): Promise<WorkerReply> {
  switch (req.kind) {
    case 'validation': {
      const run = model(req.run);
      const dir = req.data ?? runDataFolder(run.config, 'start halite serve with --data DIR, the folder where it is now');
      const val = validationTiles(await data(dir), run.config);
      // Ungated probabilities and the classifier's salt probabilities: the page applies the tuned post-processing.
      const { probs, salt } = predictTiles(run.model, val.images, { tta: true, device: run.config.device });
      return { id: req.id, ok: true, kind: 'validation', ids: val.ids, images: val.images, masks: val.masks, probs, salt, post: run.post };
    }
    case 'image': {
      const run = model(req.run);
      const o = { tta: true, device: run.config.device };
      // A competition tile gets what halite predict gives it: ungated probabilities and the classifier's
      // salt probability, for the page to apply the tuned minimum area and gate. Both were tuned per
      // 101×101 tile, so a larger section is stitched from probabilities the model gates itself.
      if (req.width === TILE && req.height === TILE) {
        const { probs, salt } = predictTiles(run.model, req.pixels, o);
        return { id: req.id, ok: true, kind: 'image', probs, salt: salt?.[0] ?? null, post: run.post, tiles: 1 };
      }
      const { probs, tiles } = predictSection(req.pixels, req.width, req.height, (t) => predictProbabilities(run.model, t, o));
      return { id: req.id, ok: true, kind: 'image', probs, salt: null, post: run.post, tiles };
    }
    case 'export': {
      // Exported again only when the weights or the tuning are newer than the file (written whole, atomically).
      const path = runPath(req.run, 'onnx');
      const inputs = (['best', 'tuning'] as const).filter((f) => runHas(req.run, f)).map((f) => statSync(runPath(req.run, f)).mtimeMs);
      if (!existsSync(path) || statSync(path).mtimeMs < Math.max(...inputs)) exportRunOnnx(req.run, path, { tta: true, ungated: true });
      return { id: req.id, ok: true, kind: 'export', path, post: tunedPostprocess(req.run) ?? { threshold: 0.5, minArea: 0, gate: null } };
    }
    case 'report': {
      const r = await writeReport(req.run, req.data);
      return { id: req.id, ok: true, kind: 'report', path: r.path };
    }
  }
}

parentPort!.on('message', (req: WorkerRequest) => {
  handle(req).then(
    (reply) => parentPort!.postMessage(reply),
    (e: Error) => parentPort!.postMessage({ id: req.id, ok: false, error: e.message } satisfies WorkerReply),
  );
});
