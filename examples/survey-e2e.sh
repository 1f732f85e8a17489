#!/usr/bin/env bash
# Train on tiles cut from one synthetic survey, predict a second survey whole, and score the
# prediction against its known salt: inline sections alone, then the mean of inline and crossline.
# About 17 minutes on 2 cores (8 of them training). Usage: bash examples/survey-e2e.sh [FOLDER] (default survey-e2e).
set -euo pipefail
cd "$(dirname "$0")/.."
D=${1:-survey-e2e}
halite() { node bin/halite.js "$@"; }

halite synth --volume --out "$D/train" --inlines 200 --crosslines 200 --samples 300 --seed 1 --salt-bodies 3 --force
halite synth --volume --out "$D/test" --inlines 150 --crosslines 150 --samples 300 --seed 2 --salt-bodies 2 --force
# Inlines 270-299 are held out whole: neighbouring sections are nearly the same image. They cross no salt
# (it lies in inlines 110-265), so tiles warns and their validation mAP means nothing; the second survey is scored.
halite tiles --segy "$D/train/seismic.sgy" --labels "$D/train/salt.sgy" --out "$D/tiles" --val-inlines 270-299 --force
[ -f "$D/runs/survey/best.safetensors" ] || halite train --config examples/survey-resunet.json --data "$D/tiles" --runs "$D/runs" --name survey

# Each direction twice: amplitudes clipped at the new survey's own percentiles (the default), and at the
# training tiles' clip (tiles.json), which fits when both surveys come from one acquisition, as here.
for norm in survey tiles; do
  for s in inline inline,crossline; do
    n="$norm-${s/,/+}"
    flags=(); [ "$norm" = tiles ] && flags=(--normalise "$D/tiles/tiles.json")
    # --mask-out thresholds at the run's tuned threshold; the mask is what is scored.
    halite predict --run "$D/runs/survey" --segy "$D/test/seismic.sgy" --sections "$s" "${flags[@]}" --out "$D/salt-$n.sgy" --mask-out "$D/mask-$n.sgy"
    halite evaluate --segy "$D/mask-$n.sgy" --truth "$D/test/salt.sgy" --json | tee "$D/score-$n.txt"
  done
done
node -e '
const fs = require("fs"), out = {};
for (const n of ["survey-inline", "survey-inline+crossline", "tiles-inline", "tiles-inline+crossline"]) {
  const e = JSON.parse(fs.readFileSync(process.argv[1] + "/score-" + n + ".txt", "utf8").trim().split("\n").pop());
  out[n] = { iou: +e.iou.toFixed(4), metric_inlines: +e.inline.score.toFixed(4), metric_crosslines: +e.crossline.score.toFixed(4) };
  console.log(n.padEnd(26), "3D IoU", out[n].iou.toFixed(4), " metric inlines", out[n].metric_inlines.toFixed(4), " crosslines", out[n].metric_crosslines.toFixed(4));
}
console.log(JSON.stringify(out));
' "$D"
