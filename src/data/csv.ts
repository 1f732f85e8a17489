// Every CSV halite reads (train.csv, depths.csv, sample and user submissions), read with csv-parse
// as spreadsheets and other systems write them: with or without a UTF-8 byte-order mark, with LF,
// CRLF or lone-CR line endings (mixed too). Every row keeps its line number for error messages.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { DataError } from './png.js';
import { readReason } from '../io/errno.js';

export interface Row { line: number; fields: Record<string, string> }

/** A UTF-16 byte-order mark (FF FE or FE FF): a spreadsheet's "Unicode text", not a UTF-8 CSV. */
const isUtf16 = (b: Uint8Array) => b.length >= 2 && ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff));

/**
 * The rows after the header line, each with its 1-based line number in the file, as strings keyed
 * by the header's names (trimmed). Blank lines are skipped; line numbers still count them.
 * Throws DataError naming the file (and line, and the row's id where it has one) when the file
 * cannot be read, is UTF-16, is empty, lacks one of `columns`, or a row has more or fewer fields
 * than the header.
 */
export function readCsv(path: string, columns: string[]): Row[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new DataError(`${path}: cannot read: ${readReason(e)}`);
  }
  if (isUtf16(bytes)) throw new DataError(`${path}: saved as UTF-16 text; save it as a UTF-8 CSV (comma-separated)`);
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(bytes.toString('utf8'), {
      bom: true, info: true, skip_empty_lines: true, trim: true, relax_column_count: true,
      // Any of the three endings, so that a file edited on two systems still reads right.
      record_delimiter: ['\r\n', '\n', '\r'],
    }) as unknown as typeof records;
  } catch (e) {
    // csv-parse's CsvError says what broke and on which line; say also what the file should be.
    const line = (e as { lines?: number }).lines;
    throw new DataError(`${path}${line ? `:${line}` : ''}: not a CSV file halite can read (${(e as Error).message}); ` +
      `expected comma-separated text whose header line is '${columns.join(',')}'`);
  }
  if (records.length === 0) throw new DataError(`${path}: empty file; expected a header line '${columns.join(',')}'`);
  const { record: header, info: { lines: headerLine } } = records[0]!;
  for (const c of columns) {
    if (header.includes(c)) continue;
    const sep = header.length === 1 ? [';', '\t'].find((s) => header[0]!.includes(s)) : undefined;
    const hint = sep ? `; fields are separated by '${sep === '\t' ? '\\t' : sep}', halite reads commas` : '';
    throw new DataError(`${path}:${headerLine}: missing column '${c}' (header is ${header.join(',')})${hint}`);
  }
  return records.slice(1).map(({ record, info }) => {
    if (record.length !== header.length) {
      const id = header.indexOf('id') >= 0 && record[header.indexOf('id')] ? ` (id ${record[header.indexOf('id')]})` : '';
      throw new DataError(`${path}:${info.lines}${id}: ${record.length} field${record.length === 1 ? '' : 's'} where the header has ${header.length} (${header.join(',')})`);
    }
    return { line: info.lines, fields: Object.fromEntries(header.map((h, i) => [h, record[i]!])) };
  });
}

/** A decimal number as people write it: 841, -3.5, .5, 1e3. Not '', 'NaN', 'Infinity' or 0x10. */
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * The number in `column` of `row`. Throws DataError naming `path:line` and the row's id when the
 * value is empty (never read as 0) or not a decimal number.
 */
export function numberField(path: string, row: Row, column: string): number {
  const v = row.fields[column] ?? '';
  const where = `${path}:${row.line}: ${column} of id ${row.fields.id ?? '?'}`;
  if (v === '') throw new DataError(`${where} is empty; a number is required`);
  if (!DECIMAL.test(v)) throw new DataError(`${where} is '${v}', not a number`);
  return Number(v);
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
