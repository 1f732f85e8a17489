// The 400-byte binary header and the 240-byte trace header: every standard field by its byte
// position (SEG-Y rev 2.0, 2017, tables 2 and 3; rev 1, 2002, for the fields both share).

export type FieldKind = 'int' | 'uint' | 'float';

export interface Field {
  /** 1-based byte position: in the file for the binary header (3201-3600), in the trace header (1-240). */
  byte: number;
  /** Width in bytes: 1, 2, 4 or 8. */
  width: 1 | 2 | 4 | 8;
  kind: FieldKind;
}

const f = (byte: number, width: Field['width'], kind: FieldKind = 'int'): Field => ({ byte, width, kind });

/** The binary header's fields, named after the standard's descriptions. Positions are file bytes 3201-3600. */
export const BINARY_FIELDS = {
  jobId: f(3201, 4),
  lineNumber: f(3205, 4),
  reelNumber: f(3209, 4),
  dataTracesPerEnsemble: f(3213, 2),
  auxTracesPerEnsemble: f(3215, 2),
  /** Sample interval, µs for time data (rev 2: Hz for frequency, m or ft for depth); signed, so negative is invalid. */
  sampleInterval: f(3217, 2),
  originalSampleInterval: f(3219, 2),
  samplesPerTrace: f(3221, 2, 'uint'),
  originalSamplesPerTrace: f(3223, 2, 'uint'),
  formatCode: f(3225, 2),
  ensembleFold: f(3227, 2),
  traceSorting: f(3229, 2),
  verticalSum: f(3231, 2),
  sweepFrequencyStart: f(3233, 2),
  sweepFrequencyEnd: f(3235, 2),
  sweepLength: f(3237, 2),
  sweepType: f(3239, 2),
  sweepChannel: f(3241, 2),
  sweepTaperStart: f(3243, 2),
  sweepTaperEnd: f(3245, 2),
  taperType: f(3247, 2),
  correlatedTraces: f(3249, 2),
  binaryGainRecovered: f(3251, 2),
  amplitudeRecovery: f(3253, 2),
  measurementSystem: f(3255, 2),
  impulsePolarity: f(3257, 2),
  vibratoryPolarity: f(3259, 2),
  // rev 2 only: unassigned (and often garbage) in rev 0 and 1 files.
  extDataTracesPerEnsemble: f(3261, 4),
  extAuxTracesPerEnsemble: f(3265, 4),
  extSamplesPerTrace: f(3269, 4),
  extSampleInterval: f(3273, 8, 'float'),
  extOriginalSampleInterval: f(3281, 8, 'float'),
  extOriginalSamplesPerTrace: f(3289, 4),
  extEnsembleFold: f(3293, 4),
  /** 16909060 (0x01020304) when written in the file's byte order; rev 2's byte-order mark. */
  byteOrderConstant: f(3297, 4, 'uint'),
  revisionMajor: f(3501, 1, 'uint'),
  revisionMinor: f(3502, 1, 'uint'),
  fixedLengthTraces: f(3503, 2),
  /** Extended textual headers after the binary header; -1: unknown, ended by ((SEG: EndText)). */
  extendedTextHeaders: f(3505, 2),
  maxAdditionalTraceHeaders: f(3507, 4),
  timeBasis: f(3511, 2),
  tracesInFile: f(3513, 8, 'uint'),
  firstTraceOffset: f(3521, 8, 'uint'),
  trailerStanzas: f(3529, 4),
} as const satisfies Record<string, Field>;

export type BinaryHeader = { [K in keyof typeof BINARY_FIELDS]: number };

/** The trace header's standard fields, named after the standard's descriptions; positions 1-240. */
export const TRACE_FIELDS = {
  traceSequenceLine: f(1, 4),
  traceSequenceFile: f(5, 4),
  fieldRecord: f(9, 4),
  traceNumber: f(13, 4),
  energySourcePoint: f(17, 4),
  /** CDP ensemble number (CDP) */
  ensembleNumber: f(21, 4),
  traceInEnsemble: f(25, 4),
  traceIdCode: f(29, 2),
  verticallySummedTraces: f(31, 2),
  horizontallyStackedTraces: f(33, 2),
  dataUse: f(35, 2),
  offset: f(37, 4),
  receiverElevation: f(41, 4),
  sourceElevation: f(45, 4),
  sourceDepth: f(49, 4),
  receiverDatumElevation: f(53, 4),
  sourceDatumElevation: f(57, 4),
  sourceWaterDepth: f(61, 4),
  receiverWaterDepth: f(65, 4),
  /** Scalar for elevations and depths (bytes 41-68): positive multiplies, negative divides. */
  elevationScalar: f(69, 2),
  /** Scalar for coordinates (bytes 73-88, 181-188): positive multiplies, negative divides. */
  coordinateScalar: f(71, 2),
  sourceX: f(73, 4),
  sourceY: f(77, 4),
  groupX: f(81, 4),
  groupY: f(85, 4),
  coordinateUnits: f(89, 2),
  weatheringVelocity: f(91, 2),
  subWeatheringVelocity: f(93, 2),
  sourceUpholeTime: f(95, 2),
  groupUpholeTime: f(97, 2),
  sourceStatic: f(99, 2),
  groupStatic: f(101, 2),
  totalStatic: f(103, 2),
  lagTimeA: f(105, 2),
  lagTimeB: f(107, 2),
  /** Delay recording time, ms (scaled by timeScalar, bytes 215-216, in rev 2). */
  delayRecordingTime: f(109, 2),
  muteTimeStart: f(111, 2),
  muteTimeEnd: f(113, 2),
  samplesInTrace: f(115, 2, 'uint'),
  sampleInterval: f(117, 2),
  gainType: f(119, 2),
  instrumentGain: f(121, 2),
  instrumentInitialGain: f(123, 2),
  correlated: f(125, 2),
  sweepFrequencyStart: f(127, 2),
  sweepFrequencyEnd: f(129, 2),
  sweepLength: f(131, 2),
  sweepType: f(133, 2),
  sweepTaperStart: f(135, 2),
  sweepTaperEnd: f(137, 2),
  taperType: f(139, 2),
  aliasFilterFrequency: f(141, 2),
  aliasFilterSlope: f(143, 2),
  notchFilterFrequency: f(145, 2),
  notchFilterSlope: f(147, 2),
  lowCutFrequency: f(149, 2),
  highCutFrequency: f(151, 2),
  lowCutSlope: f(153, 2),
  highCutSlope: f(155, 2),
  year: f(157, 2),
  dayOfYear: f(159, 2),
  hour: f(161, 2),
  minute: f(163, 2),
  second: f(165, 2),
  timeBasis: f(167, 2),
  traceWeightingFactor: f(169, 2),
  geophoneGroupRoll: f(171, 2),
  geophoneGroupFirst: f(173, 2),
  geophoneGroupLast: f(175, 2),
  gapSize: f(177, 2),
  overTravel: f(179, 2),
  cdpX: f(181, 4),
  cdpY: f(185, 4),
  inline: f(189, 4),
  crossline: f(193, 4),
  shotpoint: f(197, 4),
  shotpointScalar: f(201, 2),
  traceValueUnit: f(203, 2),
  transductionMantissa: f(205, 4),
  transductionExponent: f(209, 2),
  transductionUnit: f(211, 2),
  deviceId: f(213, 2),
  /** Scalar for times in bytes 95-114 (rev 2): positive multiplies, negative divides, 0 means 1. */
  timeScalar: f(215, 2),
  sourceType: f(217, 2),
  sourceEnergyDirectionVertical: f(219, 2),
  sourceEnergyDirectionCrossline: f(221, 2),
  sourceEnergyDirectionInline: f(223, 2),
  sourceMeasurementMantissa: f(225, 4),
  sourceMeasurementExponent: f(229, 2),
  sourceMeasurementUnit: f(231, 2),
  // Bytes 233-240: unassigned (rev 1) or the header's 8-character name (rev 2); kept as bytes.
} as const satisfies Record<string, Field>;

export type TraceHeaderFields = { [K in keyof typeof TRACE_FIELDS]: number };

/**
 * Reads an integer of `width` bytes (1, 2, 4 or 8) at 0-based `offset` of `bytes`. 8-byte values
 * beyond 2^53 round to the nearest double.
 */
export function readInt(bytes: Uint8Array, offset: number, width: number, le: boolean, signed = true): number {
  if (offset < 0 || offset + width > bytes.length) throw new RangeError(`readInt: bytes ${offset}..${offset + width} outside a ${bytes.length}-byte header`);
  const v = new DataView(bytes.buffer, bytes.byteOffset + offset, width);
  switch (width) {
    case 1: return signed ? v.getInt8(0) : v.getUint8(0);
    case 2: return signed ? v.getInt16(0, le) : v.getUint16(0, le);
    case 4: return signed ? v.getInt32(0, le) : v.getUint32(0, le);
    case 8: return Number(signed ? v.getBigInt64(0, le) : v.getBigUint64(0, le));
    default: throw new RangeError(`readInt: width ${width}: use 1, 2, 4 or 8`);
  }
}

/** Writes an integer of `width` bytes at 0-based `offset` of `bytes`. */
export function writeInt(bytes: Uint8Array, offset: number, width: number, value: number, le: boolean): void {
  const v = new DataView(bytes.buffer, bytes.byteOffset + offset, width);
  switch (width) {
    case 1: v.setUint8(0, value & 0xff); break;
    case 2: v.setUint16(0, value & 0xffff, le); break;
    case 4: v.setUint32(0, value >>> 0, le); break;
    case 8: v.setBigUint64(0, BigInt.asUintN(64, BigInt(Math.trunc(value))), le); break;
    default: throw new RangeError(`writeInt: width ${width}: use 1, 2, 4 or 8`);
  }
}

function readField(bytes: Uint8Array, offset: number, field: Field, le: boolean): number {
  if (field.kind === 'float') return new DataView(bytes.buffer, bytes.byteOffset + offset, 8).getFloat64(0, le);
  return readInt(bytes, offset, field.width, le, field.kind === 'int');
}

/** Every binary-header field of a 400-byte binary header (file bytes 3201-3600). */
export function parseBinaryHeader(bytes: Uint8Array, le: boolean): BinaryHeader {
  const out: Record<string, number> = {};
  for (const [name, field] of Object.entries(BINARY_FIELDS)) out[name] = readField(bytes, field.byte - 3201, field, le);
  return out as BinaryHeader;
}

/** Reverses each field's bytes in place: a header (binary or trace) from one byte order to the other. */
export function swapFields(bytes: Uint8Array, fields: Record<string, Field>, firstByte: number): void {
  for (const field of Object.values(fields)) {
    if (field.width === 1) continue;
    const o = field.byte - firstByte;
    bytes.subarray(o, o + field.width).reverse();
  }
}

/** A 240-byte trace header, read by field name or by any byte position and width. */
export class TraceHeader {
  constructor(readonly bytes: Uint8Array, readonly littleEndian: boolean) {}

  /** The integer of `width` bytes at 1-based trace-header byte `byte` (e.g. get(189) for the inline). */
  get(byte: number, width: 1 | 2 | 4 | 8 = 4, signed = true): number {
    return readInt(this.bytes, byte - 1, width, this.littleEndian, signed);
  }

  field(name: keyof typeof TRACE_FIELDS): number {
    const fl = TRACE_FIELDS[name];
    return readField(this.bytes, fl.byte - 1, fl, this.littleEndian);
  }

  /** Every standard field. */
  fields(): TraceHeaderFields {
    const out: Record<string, number> = {};
    for (const name of Object.keys(TRACE_FIELDS) as (keyof typeof TRACE_FIELDS)[]) out[name] = this.field(name);
    return out as TraceHeaderFields;
  }

  /** Delay recording time in ms, with rev 2's time scalar (bytes 215-216) applied. */
  delayMs(): number {
    return applyScalar(this.field('delayRecordingTime'), this.field('timeScalar'));
  }
}

/** SEG-Y's scalar rule: positive multiplies, negative divides by its magnitude, 0 leaves the value. */
export function applyScalar(value: number, scalar: number): number {
  return scalar > 0 ? value * scalar : scalar < 0 ? value / -scalar : value;
}
