// SEG-Y rev 0/1/2: reading headers, traces and sections by file offset, and writing float volumes.
export { SegyError, type SegyPlace } from './errors.js';
export { decodeEbcdic, encodeEbcdic, detectEncoding, type TextEncoding } from './ebcdic.js';
export { ibmToNumber, numberToIbm } from './ibm.js';
export { FORMATS, WIDE_FORMATS, decodeSamples, encodeSamples, type SampleFormat, type WriteFormat } from './formats.js';
export { BINARY_FIELDS, TRACE_FIELDS, TraceHeader, applyScalar, readInt, type BinaryHeader, type Field, type TraceHeaderFields } from './headers.js';
export { SegyFile, openSegy, detectByteOrder, textLines, type ByteOrder, type OpenOptions, type TextHeader } from './file.js';
export { scanGeometry, axisIndex, axisText, axisValue, type Axis, type Geometry, type GeometryOptions, type Sorting } from './geometry.js';
export { SegyVolume, gridDifferences, openVolume, type SectionDirection, type VolumeOptions } from './volume.js';
export { SegyWriter, copySegy, textHeaderBytes, type WriterOptions, type WriterTemplate } from './writer.js';
export { NewSurvey, newSurvey, surveyTextLines, type AxisSpec, type SurveySpec } from './create.js';
export { sampleAmplitudes, percentile, type AmplitudeSample } from './stats.js';
export { segyInfo, INFO_PERCENTILES, type SegyInfo } from './info.js';
