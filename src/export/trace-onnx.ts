// Translates the addon calls of one traced eval-mode forward (src/torch/trace.ts) into ONNX nodes, op by
// op (operator semantics: https://onnx.ai/onnx/operators/), then folds each BatchNorm into the
// convolution before it. Tensors the computation reads but did not make (parameters, buffers) become
// initializers, named by their state-dict keys.
import { native, type NativeHandle } from '../torch/native.js';
import { keep } from '../torch/scope.js';
import { foldBatchNorm } from '../nn/fold.js';
import { wrap, type Tensor } from '../torch/tensor.js';
import type { TracedCall } from '../torch/trace.js';
import { OnnxGraph, type AttrValue, type GraphNode, type Initializer } from './onnx-graph.js';

/** What the translation needs to know of a traced value. */
interface Value { name: string; shape: number[] }

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Calls that make a tensor from nothing traced: their results are constants of the graph. */
const CREATION = new Set(['fromBuffer', 'zeros', 'ones', 'empty', 'full', 'arange']);
/** Calls that return their input's values unchanged (in eval mode for dropout: checked below). */
const ALIASES = new Set(['contiguous', 'clone', 'detach', 'dropout', 'dropout2d']);
const UNARY: Record<string, string> = {
  relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh', log: 'Log', exp: 'Exp', neg: 'Neg', sqrt: 'Sqrt', abs: 'Abs',
  floor: 'Floor', ceil: 'Ceil', logicalNot: 'Not',
};
const BINARY: Record<string, string> = {
  add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div', lt: 'Less', le: 'LessOrEqual', gt: 'Greater', ge: 'GreaterOrEqual', eq: 'Equal',
  maximum: 'Max', minimum: 'Min', logicalAnd: 'And', logicalOr: 'Or',
};

export interface FoldReport { folded: number; kept: number }

/**
 * Builds an ONNX graph from traced calls. Feed it every call of the trace in order (`record`), then
 * `finish` with the handles of the results. Tensors shown to it that no traced call made are copied
 * when first read (so they may change or be freed afterwards) and freed by `finish` or `dispose`.
 */
export class OnnxTranslator {
  readonly graph = new OnnxGraph();
  private readonly values = new Map<NativeHandle, Value>();
  /** Initializers still held as tensors (BatchNorm folding computes on them), by name. */
  private readonly tensors = new Map<string, Tensor>();

  /**
   * @param names state-dict keys of the model's parameters and buffers by handle, for initializer names.
   * @param batch the traced batch size: reshapes keep a leading dim of this size as the dynamic batch.
   */
  constructor(private readonly names: Map<NativeHandle, string>, private readonly batch: number) {}

  /** Declares a graph input: the tensor `handle` is fed as `name`. */
  input(handle: NativeHandle, name: string): void {
    this.values.set(handle, { name, shape: native.shape(handle) });
  }

  private value(h: unknown, op: string): Value {
    if (typeof h !== 'bigint') throw new Error(`ONNX export: ${op} was given ${String(h)} where a tensor was expected`);
    const known = this.values.get(h);
    if (known) return known;
    // A tensor from outside the trace: a parameter, a buffer or a constant, copied as it is now.
    const name = this.names.get(h) ?? this.graph.fresh('const');
    const copy = keep(wrap(native.clone(h)));
    this.tensors.set(name, copy);
    const v = { name, shape: native.shape(h) };
    this.values.set(h, v);
    return v;
  }

  /** A scalar operand as a constant of the tensor's element type (float32, or bool). */
  private operand(x: unknown, op: string): string {
    if (typeof x === 'number') return this.graph.floats([x], []);
    if (typeof x === 'boolean') return this.graph.constant({ dims: [], dtype: 'bool', data: Uint8Array.of(x ? 1 : 0) });
    return this.value(x, op).name;
  }

  private emit(result: NativeHandle, opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}): void {
    const name = this.graph.op(opType, inputs, attrs);
    this.values.set(result, { name, shape: native.shape(result) });
  }

  /**
   * Translates one call. Throws Error naming the op when it has no translation here, changes a tensor
   * in place, or runs in training mode (dropout, batch statistics), which an inference graph cannot hold.
   */
  record(c: TracedCall): void {
    const { op, args } = c;
    if (c.result === undefined || Array.isArray(c.result)) {
      throw new Error(`ONNX export: the model calls ${op}, which ${c.result === undefined ? 'changes a tensor in place' : 'returns several tensors'}; an exported graph cannot hold it`);
    }
    const out = c.result;
    const g = this.graph;
    const v = (i: number) => this.value(args[i], op);
    if (CREATION.has(op)) { this.value(out, op); return; }
    if (ALIASES.has(op)) {
      if ((op === 'dropout' || op === 'dropout2d') && args[2] === true) throw new Error('ONNX export: dropout runs in training mode; put the model in eval mode');
      this.values.set(out, { name: v(0).name, shape: native.shape(out) });
      return;
    }
    if (op === 'to') {
      if (args[1] !== null && args[1] !== native.dtype(args[0] as NativeHandle)) throw new Error(`ONNX export: the model converts a tensor to ${String(args[1])}; only float32 graphs are exported`);
      this.values.set(out, { name: v(0).name, shape: native.shape(out) });
      return;
    }
    if (UNARY[op]) return this.emit(out, UNARY[op], [v(0).name]);
    if (BINARY[op]) {
      let other = this.operand(args[1], op);
      const alpha = args[2];
      if ((op === 'add' || op === 'sub') && alpha !== undefined && alpha !== null && alpha !== 1) {
        other = typeof args[1] === 'number' ? g.floats([args[1] * (alpha as number)], []) : g.op('Mul', [other, g.floats([alpha as number], [])]);
      }
      return this.emit(out, BINARY[op], [v(0).name, other]);
    }
    switch (op) {
      case 'rsub': return this.emit(out, 'Sub', [this.operand(args[1], op), v(0).name]);
      case 'elu': return this.emit(out, 'Elu', [v(0).name], { alpha: { f: (args[1] as number | null) ?? 1 } });
      case 'leakyRelu': return this.emit(out, 'LeakyRelu', [v(0).name], { alpha: { f: args[1] as number } });
      case 'clamp': return this.emit(out, 'Clip', [v(0).name, args[1] == null ? '' : g.floats([args[1] as number], []), args[2] == null ? '' : g.floats([args[2] as number], [])]);
      case 'maskedFill': return this.emit(out, 'Where', [v(1).name, this.operand(args[2], op), v(0).name]);
      case 'where': return this.emit(out, 'Where', [v(0).name, this.operand(args[1], op), this.operand(args[2], op)]);
      case 'softmax': return this.emit(out, 'Softmax', [v(0).name], { axis: { i: args[1] as number } });
      case 'cat': {
        const parts = (args[0] as NativeHandle[]).map((h) => this.value(h, op).name);
        return this.emit(out, 'Concat', parts, { axis: { i: args[1] as number } });
      }
      case 'view':
      case 'reshape': {
        const x = v(0), shape = [...(args[1] as number[])];
        // 0 copies the input's dim: a leading batch dim stays dynamic.
        if (shape[0] === x.shape[0] && x.shape[0] === this.batch) shape[0] = 0;
        return this.emit(out, 'Reshape', [x.name, g.int64s(shape)]);
      }
      case 'flatten': {
        const x = v(0), rank = x.shape.length;
        const start = (args[1] as number) < 0 ? (args[1] as number) + rank : (args[1] as number);
        const end = (args[2] as number) < 0 ? (args[2] as number) + rank : (args[2] as number);
        if (start === 1 && end === rank - 1) return this.emit(out, 'Flatten', [x.name], { axis: { i: 1 } });
        if (start >= 1) return this.emit(out, 'Reshape', [x.name, g.int64s([0, ...native.shape(out).slice(1)])]);
        throw new Error(`ONNX export: flatten(${start}, ${end}) merges the batch dim, which must stay dynamic`);
      }
      case 'flip': {
        let name = v(0).name;
        const rank = v(0).shape.length;
        for (const d of args[1] as number[]) {
          name = g.op('Slice', [name, g.int64s([-1]), g.int64s([INT64_MIN]), g.int64s([d < 0 ? d + rank : d]), g.int64s([-1])]);
        }
        this.values.set(out, { name, shape: native.shape(out) });
        return;
      }
      case 'narrow':
      case 'slice': {
        const [dim, start] = [args[1] as number, args[2] as number];
        const end = op === 'narrow' ? start + (args[3] as number) : (args[3] as number) >= Number.MAX_SAFE_INTEGER ? INT64_MAX : (args[3] as number);
        if (dim === 0) throw new Error(`ONNX export: ${op} on the batch dim, which must stay dynamic`);
        const inputs = [v(0).name, g.int64s([start]), g.int64s([end]), g.int64s([dim])];
        if (op === 'slice') inputs.push(g.int64s([args[4] as number]));
        return this.emit(out, 'Slice', inputs);
      }
      case 'pad': {
        const x = v(0), rank = x.shape.length, pads = args[1] as number[], mode = args[2] as string;
        const begin = new Array<number>(rank).fill(0), endPads = new Array<number>(rank).fill(0);
        // torch lists (before, after) from the last dim backwards; ONNX every dim's begin, then every end.
        for (let k = 0; 2 * k < pads.length; k++) { begin[rank - 1 - k] = pads[2 * k]!; endPads[rank - 1 - k] = pads[2 * k + 1]!; }
        const onnxMode = mode === 'replicate' ? 'edge' : mode;
        const inputs = [x.name, g.int64s([...begin, ...endPads])];
        if (mode === 'constant') inputs.push(g.floats([(args[3] as number | null) ?? 0], []));
        return this.emit(out, 'Pad', inputs, { mode: { s: onnxMode } });
      }
      case 'conv2d': {
        const [stride, pad, dil] = [args[3], args[4], args[5]].map(pair);
        const w = v(1);
        const inputs = [v(0).name, w.name];
        if (args[2] !== null && args[2] !== undefined) inputs.push(v(2).name);
        return this.emit(out, 'Conv', inputs, {
          kernel_shape: { ints: w.shape.slice(2) }, strides: { ints: stride }, pads: { ints: [...pad, ...pad] },
          dilations: { ints: dil }, group: { i: args[6] as number },
        });
      }
      case 'convTranspose2d': {
        const [stride, pad, outPad, dil] = [args[3], args[4], args[5], args[7]].map(pair);
        const w = v(1);
        const inputs = [v(0).name, w.name];
        if (args[2] !== null && args[2] !== undefined) inputs.push(v(2).name);
        return this.emit(out, 'ConvTranspose', inputs, {
          kernel_shape: { ints: w.shape.slice(2) }, strides: { ints: stride }, pads: { ints: [...pad, ...pad] },
          output_padding: { ints: outPad }, dilations: { ints: dil }, group: { i: args[6] as number },
        });
      }
      case 'linear': {
        const x = v(0);
        if (x.shape.length !== 2) throw new Error(`ONNX export: linear on a ${x.shape.length}-D input; only N x features is translated`);
        const inputs = [x.name, v(1).name];
        if (args[2] !== null && args[2] !== undefined) inputs.push(v(2).name);
        return this.emit(out, 'Gemm', inputs, { transB: { i: 1 } });
      }
      case 'batchNorm': {
        const [, weight, bias, mean, variance, training, , eps] = args;
        if (training === true || mean === null || variance === null) throw new Error('ONNX export: BatchNorm uses batch statistics (training mode, or no running statistics); put the model in eval mode');
        const x = v(0), c = x.shape[1]!;
        const ones = weight == null ? this.graph.floats(new Array<number>(c).fill(1)) : v(1).name;
        const zeros = bias == null ? this.graph.floats(new Array<number>(c).fill(0)) : v(2).name;
        return this.emit(out, 'BatchNormalization', [x.name, ones, zeros, v(3).name, v(4).name], { epsilon: { f: eps as number } });
      }
      case 'maxPool2d': {
        const [kernel, stride, pad, dil] = [args[1], args[2], args[3], args[4]].map(pair);
        return this.emit(out, 'MaxPool', [v(0).name], {
          kernel_shape: { ints: kernel }, strides: { ints: stride }, pads: { ints: [...pad, ...pad] }, dilations: { ints: dil },
          ceil_mode: { i: args[5] ? 1 : 0 },
        });
      }
      case 'avgPool2d': {
        const [kernel, stride, pad] = [args[1], args[2], args[3]].map(pair);
        return this.emit(out, 'AveragePool', [v(0).name], {
          kernel_shape: { ints: kernel }, strides: { ints: stride }, pads: { ints: [...pad, ...pad] },
          ceil_mode: { i: args[4] ? 1 : 0 }, count_include_pad: { i: args[5] ? 1 : 0 },
        });
      }
      case 'adaptiveAvgPool2d':
      case 'adaptiveMaxPool2d': {
        const size = pair(args[1]);
        if (size[0] !== 1 || size[1] !== 1) throw new Error(`ONNX export: ${op} to ${size.join('x')}; only global pooling (1x1) is translated`);
        return this.emit(out, op === 'adaptiveAvgPool2d' ? 'GlobalAveragePool' : 'GlobalMaxPool', [v(0).name]);
      }
      case 'interpolate': {
        const x = v(0), size = pair(args[1]), mode = args[2] as string, alignCorners = args[3] === true;
        // Resize's sizes cover every dim: the batch and channels read from the input keep N dynamic.
        const nc = g.op('Slice', [g.op('Shape', [x.name]), g.int64s([0]), g.int64s([2]), g.int64s([0])]);
        const sizes = g.op('Concat', [nc, g.int64s(size)], { axis: { i: 0 } });
        // PyTorch's bilinear (align_corners false) samples at (i + 0.5)·in/out - 0.5, clamped at 0: ONNX's
        // pytorch_half_pixel; its nearest takes floor(i·in/out): asymmetric with floor.
        const attrs: Record<string, AttrValue> = mode === 'bilinear'
          ? { mode: { s: 'linear' }, coordinate_transformation_mode: { s: alignCorners ? 'align_corners' : 'pytorch_half_pixel' } }
          : { mode: { s: 'nearest' }, coordinate_transformation_mode: { s: 'asymmetric' }, nearest_mode: { s: 'floor' } };
        return this.emit(out, 'Resize', [x.name, '', '', sizes], attrs);
      }
      default:
        throw new Error(`ONNX export: the model calls ${op}, which has no ONNX translation in src/export/trace-onnx.ts`);
    }
  }

  /**
   * Names the results, drops what they do not need, merges repeated subgraphs, folds BatchNorms into
   * the convolutions before them, and turns the held tensors into initializers.
   * @returns how many BatchNorms were folded and how many stay (a BatchNorm whose input is no
   *   convolution's output alone, as the pre-activation residual blocks' first one).
   */
  finish(results: [NativeHandle, string][]): FoldReport {
    const g = this.graph;
    const names = results.map(([h, name]) => {
      const v = this.values.get(h);
      if (!v) throw new Error(`ONNX export: output ${name} was not computed in the trace`);
      return v.name;
    });
    if (new Set(names).size !== names.length) throw new Error('ONNX export: two outputs are the same value');
    results.forEach(([, name], k) => {
      // Every output gets its own node, so renaming it touches nothing else.
      g.nodes.push({ opType: 'Identity', inputs: [names[k]!], outputs: [name], attrs: {} });
    });
    g.simplify(results.map(([, n]) => n));
    const report = this.foldBatchNorms();
    g.simplify(results.map(([, n]) => n));
    for (const [name, t] of this.tensors) if (g.initializers.has(name) || isUsed(g, name)) g.initializers.set(name, toInitializer(t));
    this.dispose();
    return report;
  }

  /** Frees the copies of the tensors the trace read. */
  dispose(): void {
    for (const t of this.tensors.values()) t.dispose();
    this.tensors.clear();
  }

  private foldBatchNorms(): FoldReport {
    const g = this.graph, consumers = g.consumers();
    const producer = new Map(g.nodes.map((n) => [n.outputs[0]!, n]));
    // Counted by layer (its γ): with flip TTA each BatchNorm runs, and is folded, once per pass.
    const folded = new Set<string>(), kept = new Set<string>();
    for (const bn of g.nodes.filter((n) => n.opType === 'BatchNormalization')) {
      const conv = producer.get(bn.inputs[0]!);
      const held = (name: string | undefined) => name !== undefined && this.tensors.has(name);
      const foldable = conv?.opType === 'Conv' && consumers.get(bn.inputs[0]!) === 1 && conv.inputs.slice(1).every(held) &&
        bn.inputs.slice(1).every((i) => held(i) || g.initializers.has(i));
      if (!foldable) { kept.add(bn.inputs[1]!); continue; }
      const wName = `${conv.inputs[1]}:folded`, bName = `${conv.inputs[1]!.replace(/weight$/, 'bias')}:folded`;
      if (!this.tensors.has(wName)) this.foldInto(conv, bn, wName, bName);
      folded.add(bn.inputs[1]!);
      conv.inputs = [conv.inputs[0]!, wName, bName];
      conv.outputs = [bn.outputs[0]!];
      bn.opType = 'Identity';
      bn.inputs = [];
      bn.outputs = [g.fresh('dead')];
    }
    g.nodes.splice(0, g.nodes.length, ...g.nodes.filter((n) => n.inputs.length > 0));
    return { folded: folded.size, kept: kept.size };
  }

  /** Computes a convolution's weights with the BatchNorm after it folded in, held as `wName` and `bName`. */
  private foldInto(conv: GraphNode, bn: GraphNode, wName: string, bName: string): void {
    const g = this.graph;
    const param = (name: string) => this.tensors.get(name) ?? fromInitializer(g.initializers.get(name)!);
    const eps = (bn.attrs.epsilon as { f: number }).f;
    const [W, b, gamma, beta, mean, variance] = [conv.inputs[1]!, conv.inputs[2], ...bn.inputs.slice(1)].map((n) => (n ? param(n) : null));
    const { weight: w2, bias: b2 } = foldBatchNorm(W!, b, { gamma, beta, mean: mean!, variance: variance!, eps });
    this.tensors.set(wName, w2);
    this.tensors.set(bName, b2);
    g.initializers.set(wName, { dims: [], dtype: 'float32', data: new Float32Array(0) });
    g.initializers.set(bName, { dims: [], dtype: 'float32', data: new Float32Array(0) });
  }
}

function isUsed(g: OnnxGraph, name: string): boolean {
  return g.nodes.some((n) => n.inputs.includes(name));
}

const pair = (v: unknown): [number, number] => (typeof v === 'number' ? [v, v] : [(v as number[])[0]!, (v as number[])[1]!]);

/** A held tensor's elements as an initializer (float32, int64 or bool). */
function toInitializer(t: Tensor): Initializer {
  const dims = t.shape;
  if (t.dtype === 'float32') return { dims, dtype: 'float32', data: t.contiguous().toArray() as Float32Array };
  if (t.dtype === 'int64') return { dims, dtype: 'int64', data: t.contiguous().toArray() as BigInt64Array };
  if (t.dtype === 'bool') return { dims, dtype: 'bool', data: new Uint8Array(t.contiguous().toArray() as Uint8Array) };
  throw new Error(`ONNX export: a constant of dtype ${t.dtype}; only float32 graphs are exported`);
}

/** An initializer made by the graph itself (a BatchNorm's missing γ or β) as a tensor. */
function fromInitializer(i: Initializer): Tensor {
  return keep(wrap(native.fromBuffer(i.data as Float32Array, i.dims, 'float32')));
}
