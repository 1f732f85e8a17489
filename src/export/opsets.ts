// The ONNX opsets an export may target, apart from the exporter so the command line can check --opset
// without loading libtorch.

/** Every op the export writes has the same form from opset 13 (Resize, Pad, Clip and Slice take inputs) on; 17 is the newest that IR version 8, which the file is written in, and ONNX 1.12 (Debian's python3-onnx) know. */
export const SUPPORTED_OPSETS: readonly number[] = [13, 14, 15, 16, 17];
export const DEFAULT_OPSET = 17;

/** Returns `opset` when it is supported. Throws Error saying which opsets are. */
export function checkOpset(opset: number): number {
  if (!SUPPORTED_OPSETS.includes(opset)) {
    throw new Error(`ONNX opset ${opset} is not supported: choose one of ${SUPPORTED_OPSETS.join(', ')} (default ${DEFAULT_OPSET})`);
  }
  return opset;
}
