// The TGS Salt Identification layout: train/images, train/masks, train.csv, depths.csv,
// test/images, sample_submission.csv. Ids are cross-checked across all of them.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readCsv, indexById, numberField } from './csv.js';
import { DataError } from './png.js';
import { decodeImages, decodeMasks } from './decode-pool.js';
import { PIXELS, rleDecode } from './rle.js';

export interface TgsSplit {
  ids: string[];
  /** N x 101 x 101, row-major, [0, 1]; empty when read with `images: false`. */
  images: Float32Array;
  /** N x 101 x 101 of 0/1 (train only). */
  masks?: Uint8Array;
  depths: number[];
}

export interface TgsData {
  dir: string;
  train: TgsSplit & { masks: Uint8Array; rle: string[] };
  test?: TgsSplit;
  /** The ids a submission must carry, in order. */
  submissionIds?: string[];
}

function pngIds(dir: string): string[] {
  if (!existsSync(dir)) throw new DataError(`${dir}: folder not found`);
  return readdirSync(dir).filter((f) => f.endsWith('.png')).map((f) => f.slice(0, -4)).sort();
}

function sameIds(a: string[], aName: string, b: Set<string>, bName: string): void {
  for (const id of a) if (!b.has(id)) throw new DataError(`${aName}: id ${id} has no counterpart in ${bName}`);
}

/**
 * The training tile ids of a TGS layout (train/images/*.png), sorted: the order readTgs gives them in.
 * @throws DataError when train/images does not exist.
 */
export function trainIds(dir: string): string[] {
  return pngIds(join(dir, 'train', 'images'));
}

/**
 * Reads the whole layout; `test: false` skips the test images (their ids are still checked), and
 * `images: false` the training images (scoring needs the masks alone: half the decoding).
 */
export async function readTgs(dir: string, o: { test?: boolean; images?: boolean; threads?: number } = {}): Promise<TgsData> {
  const imgDir = join(dir, 'train', 'images'), maskDir = join(dir, 'train', 'masks');
  const ids = trainIds(dir);
  const maskIds = new Set(pngIds(maskDir));
  sameIds(ids, imgDir, maskIds, maskDir);
  sameIds([...maskIds], maskDir, new Set(ids), imgDir);

  const trainCsv = join(dir, 'train.csv');
  const rows = indexById(trainCsv, readCsv(trainCsv, ['id', 'rle_mask']));
  const idSet = new Set(ids);
  for (const [id, r] of rows) if (!idSet.has(id)) throw new DataError(`${trainCsv}:${r.line}: id ${id} has no image in ${imgDir}`);
  for (const id of ids) if (!rows.has(id)) throw new DataError(`${imgDir}: image ${id} has no row in ${trainCsv}`);

  const depthCsv = join(dir, 'depths.csv');
  // Every row's depth is checked, the ids this layout does not use too: a bad row is never skipped.
  const depths = new Map([...indexById(depthCsv, readCsv(depthCsv, ['id', 'z']))].map(([id, r]) => [id, numberField(depthCsv, r, 'z')]));
  const depthOf = (id: string, where: string): number => {
    const z = depths.get(id);
    if (z === undefined) throw new DataError(`${depthCsv}: no depth for ${where} id ${id}`);
    return z;
  };

  const [images, masks] = await Promise.all([
    o.images === false ? new Float32Array(0) : decodeImages(ids.map((id) => join(imgDir, `${id}.png`)), o.threads),
    decodeMasks(ids.map((id) => join(maskDir, `${id}.png`)), o.threads),
  ]);
  const rle: string[] = [];
  ids.forEach((id, i) => {
    const r = rows.get(id)!;
    const text = r.fields.rle_mask ?? '';
    const decoded = rleDecode(text, `${trainCsv}:${r.line} (id ${id})`);
    const png = masks.subarray(i * PIXELS, (i + 1) * PIXELS);
    for (let k = 0; k < PIXELS; k++) {
      if (decoded[k] !== png[k]) throw new DataError(`${trainCsv}:${r.line}: rle_mask of ${id} disagrees with ${join(maskDir, `${id}.png`)} at pixel ${k}`);
    }
    rle.push(text);
  });
  const data: TgsData = { dir, train: { ids, images, masks, rle, depths: ids.map((id) => depthOf(id, 'train')) } };

  const testDir = join(dir, 'test', 'images');
  if (existsSync(testDir)) {
    const testIds = pngIds(testDir);
    const sub = join(dir, 'sample_submission.csv');
    if (existsSync(sub)) {
      const subRows = readCsv(sub, ['id', 'rle_mask']);
      const subIds = indexById(sub, subRows);
      const testSet = new Set(testIds);
      for (const [id, r] of subIds) if (!testSet.has(id)) throw new DataError(`${sub}:${r.line}: id ${id} has no image in ${testDir}`);
      for (const id of testIds) if (!subIds.has(id)) throw new DataError(`${testDir}: image ${id} has no row in ${sub}`);
      data.submissionIds = subRows.map((r) => r.fields.id!);
    }
    const testImages = o.test === false ? new Float32Array(0) : await decodeImages(testIds.map((id) => join(testDir, `${id}.png`)), o.threads);
    data.test = { ids: testIds, images: testImages, depths: testIds.map((id) => depthOf(id, 'test')) };
  }
  return data;
}
