// The TGS CSVs (train.csv, depths.csv, sample_submission.csv), read with csv-parse; every row
// keeps its line number for error messages.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { DataError } from './png.js';

export interface Row { line: number; fields: Record<string, string> }

export function readCsv(path: string, columns: string[]): Row[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DataError(`${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, info: true, trim: true }) as typeof records;
  } catch (e) {
    throw new DataError(`${path}: ${(e as Error).message}`);
  }
  const header = text.split(/\r?\n/, 1)[0]!.split(',').map((s) => s.trim());
  for (const c of columns) if (!header.includes(c)) throw new DataError(`${path}:1: missing column '${c}' (header is ${header.join(',')})`);
  return records.map((r) => ({ line: r.info.lines, fields: r.record }));
}

/** id -> row, rejecting duplicate and empty ids with file:line. */
export function indexById(path: string, rows: Row[]): Map<string, Row> {
  const byId = new Map<string, Row>();
  for (const r of rows) {
    const id = r.fields.id ?? '';
    if (id === '') throw new DataError(`${path}:${r.line}: empty id`);
    const prev = byId.get(id);
    if (prev) throw new DataError(`${path}:${r.line}: duplicate id ${id} (first on line ${prev.line})`);
    byId.set(id, r);
  }
  return byId;
}
