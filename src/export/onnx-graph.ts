// An ONNX graph under construction: nodes, initializers and named values, and its encoding as a
// ModelProto (onnx.proto, https://github.com/onnx/onnx/blob/main/onnx/onnx.proto) through onnx-proto's
// static protobufjs code. The translation from traced calls (trace-onnx.ts) builds it.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
export { onnx };

/** An attribute value: a number (INT when whole and marked so by `ints`), a list of ints, a float or a string. */
export type AttrValue = { i: number } | { ints: number[] } | { f: number } | { s: string } | { floats: number[] };

export interface GraphNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

/** A constant tensor: float32, int64 or bool elements in row-major order. */
export interface Initializer {
  dims: number[];
  dtype: 'float32' | 'int64' | 'bool';
  data: Float32Array | BigInt64Array | Uint8Array;
}

/** A graph input or output: its name, element type and shape, with `null` for the dynamic batch size. */
export interface ValueInfo { name: string; dims: (number | null)[] }

const DTYPE = { float32: 1, int64: 7, bool: 9 } as const;
/** onnx.proto's AttributeType numbers. */
const ATTR = { f: 1, i: 2, s: 3, floats: 6, ints: 7 } as const;

export class OnnxGraph {
  readonly nodes: GraphNode[] = [];
  readonly initializers = new Map<string, Initializer>();
  private counter = 0;

  /** A fresh value name with `prefix`. */
  fresh(prefix = 'v'): string { return `${prefix}_${this.counter++}`; }

  /** Adds a node; returns its outputs' names (fresh ones when `outputs` is a count). */
  add(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs: string[] | number = 1): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase())) : outputs;
    this.nodes.push({ opType, inputs, outputs: outs, attrs });
    return outs;
  }
  /** add() for a node with one output; returns its name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.add(opType, inputs, attrs)[0]!;
  }

  /** Registers a constant under `name` (a fresh one when omitted); returns the name. */
  constant(init: Initializer, name?: string): string {
    const n = name ?? this.fresh('const');
    if (this.initializers.has(n)) throw new Error(`ONNX export: initializer '${n}' is defined twice`);
    this.initializers.set(n, init);
    return n;
  }
  /** A small float32 constant, shared with any equal one made before (so repeated ops on it merge in simplify()). */
  floats(values: number[], dims: number[] = [values.length]): string {
    return this.small({ dims, dtype: 'float32', data: Float32Array.from(values) });
  }
  /** A small int64 constant (shapes, axes, pads), shared like floats(). */
  int64s(values: (number | bigint)[]): string {
    return this.small({ dims: [values.length], dtype: 'int64', data: BigInt64Array.from(values, (v) => BigInt(v)) });
  }
  private readonly smalls = new Map<string, string>();
  private small(init: Initializer): string {
    const key = JSON.stringify([init.dtype, init.dims, Array.from(init.data as ArrayLike<number | bigint>, String)]);
    let name = this.smalls.get(key);
    if (!name) this.smalls.set(key, (name = this.constant(init)));
    return name;
  }

  /**
   * Drops what the outputs do not need, and merges nodes that repeat an earlier node (same type,
   * inputs and attributes: the ops here are deterministic), so two passes of the same network over
   * the same input share one subgraph. Nodes must be in execution order.
   */
  simplify(outputs: string[]): void {
    const rename = new Map<string, string>();
    const seen = new Map<string, GraphNode>();
    const kept: GraphNode[] = [];
    for (const n of this.nodes) {
      n.inputs = n.inputs.map((i) => rename.get(i) ?? i);
      const key = JSON.stringify([n.opType, n.inputs, n.attrs]);
      const twin = seen.get(key);
      if (twin && !n.outputs.some((o) => outputs.includes(o))) {
        n.outputs.forEach((o, k) => rename.set(o, twin.outputs[k]!));
        continue;
      }
      seen.set(key, n);
      kept.push(n);
    }
    const missing = outputs.filter((o) => rename.has(o));
    if (missing.length) throw new Error(`ONNX export: output ${missing.join(', ')} was merged away`);
    const needed = new Set(outputs);
    const live: GraphNode[] = [];
    for (const n of kept.reverse()) {
      if (!n.outputs.some((o) => needed.has(o))) continue;
      live.push(n);
      for (const i of n.inputs) if (i) needed.add(i);
    }
    this.nodes.splice(0, this.nodes.length, ...live.reverse());
    for (const k of [...this.initializers.keys()]) if (!needed.has(k)) this.initializers.delete(k);
  }

  /** How many nodes each value feeds. */
  consumers(): Map<string, number> {
    const c = new Map<string, number>();
    for (const n of this.nodes) for (const i of n.inputs) if (i) c.set(i, (c.get(i) ?? 0) + 1);
    return c;
  }

  /**
   * The ModelProto's bytes (IR version 8, the default ONNX domain at `opset`).
   * @param metadata written as metadata_props, in this order.
   */
  encode(o: { name: string; inputs: ValueInfo[]; outputs: ValueInfo[]; opset: number; producerVersion: string; docString: string; metadata: Record<string, string> }): Uint8Array {
    const valueInfo = (v: ValueInfo) => ({
      name: v.name,
      type: { tensorType: { elemType: DTYPE.float32, shape: { dim: v.dims.map((d) => (d === null ? { dimParam: 'N' } : { dimValue: d })) } } },
    });
    const model = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: o.opset }],
      producerName: 'halite',
      producerVersion: o.producerVersion,
      docString: o.docString,
      graph: {
        name: o.name,
        node: this.nodes.map((n, k) => ({
          name: `${n.opType}_${k}`,
          opType: n.opType,
          input: n.inputs,
          output: n.outputs,
          attribute: Object.entries(n.attrs).map(([name, v]) => attribute(name, v)),
        })),
        initializer: [...this.initializers].map(([name, t]) => ({
          name,
          dims: t.dims,
          dataType: DTYPE[t.dtype],
          // onnx.proto: raw_data holds the elements little-endian, the byte order of every machine halite runs on.
          rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
        })),
        input: o.inputs.map(valueInfo),
        output: o.outputs.map(valueInfo),
      },
      metadataProps: Object.entries(o.metadata).map(([key, value]) => ({ key, value })),
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function attribute(name: string, v: AttrValue): InstanceType<typeof onnx.AttributeProto> {
  if ('i' in v) return onnx.AttributeProto.create({ name, type: ATTR.i, i: v.i });
  if ('ints' in v) return onnx.AttributeProto.create({ name, type: ATTR.ints, ints: v.ints });
  if ('f' in v) return onnx.AttributeProto.create({ name, type: ATTR.f, f: v.f });
  if ('floats' in v) return onnx.AttributeProto.create({ name, type: ATTR.floats, floats: v.floats });
  return onnx.AttributeProto.create({ name, type: ATTR.s, s: new TextEncoder().encode(v.s) });
}
