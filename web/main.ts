// The web app's entry: each page's shell names its page; this fills it in.
import { explorePage } from './pages/explore.js';
import { predictionsPage } from './pages/predictions.js';
import { runPage } from './pages/run.js';
import { runsPage } from './pages/runs.js';
import { surveyPage } from './pages/survey.js';
import { tryPage } from './pages/try.js';
import { fail } from './dom.js';

const root = document.getElementById('app')!;
const pages: Record<string, (root: HTMLElement) => Promise<void>> = {
  runs: runsPage, run: runPage, explore: explorePage, predictions: predictionsPage, try: tryPage, survey: surveyPage,
};
const page = pages[root.dataset.page ?? ''];
// The shell's "Loading…" stays until the page has something to show, then goes.
const wait = root.querySelector('.loading');
const view = document.createElement('div');
Object.assign(view.dataset, root.dataset); // pages read their parameters (data-run) from their root
root.append(view);
const shown = new MutationObserver(() => { wait?.remove(); shown.disconnect(); });
shown.observe(view, { childList: true });
(page ? page(view) : Promise.reject(new Error(`unknown page ${root.dataset.page}`))).catch((e) => {
  // A failure ends every wait on the page: no loading line stays beside the error.
  for (const w of root.querySelectorAll('.loading')) w.remove();
  fail(view, e);
});
