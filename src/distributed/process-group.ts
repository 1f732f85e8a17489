// A process group over PyTorch's c10d with the Gloo backend: the collectives DistributedDataParallel
// is built on, awaited off the JS thread so a training loop keeps serving progress and signals.
import { native } from '../torch/native.js';
import { isFloating, type DType } from '../torch/dtype.js';
import { wrap, type Tensor } from '../torch/tensor.js';
import type { NativeBackend, NativeGlooDevice } from '../torch/native-api.js';

/** c10d's default process-group timeout (torch.distributed's default_pg_timeout). */
export const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;

/**
 * Where the ranks meet: rank 0 hosts a TCPStore at host:port, or every rank opens the same file (on a
 * file system they share). As with PyTorch's file:// init, the file must not be left from an earlier
 * job: destroy() on every rank removes it, a crashed job leaves it behind.
 */
export type Rendezvous = { kind: 'tcp'; host: string; port: number } | { kind: 'file'; path: string };

/** Gloo's network device: by interface name (as GLOO_SOCKET_IFNAME), or by a host name or address to bind. */
export type GlooDevice = { interface: string } | { hostname: string };

export interface ProcessGroupOptions {
  rank: number;
  worldSize: number;
  rendezvous: Rendezvous;
  /** 'gloo' (the default); 'nccl' is refused on a libtorch without NCCL. */
  backend?: NativeBackend;
  /** Bound on every collective, in ms (default 10 minutes, as torch.distributed's). */
  timeoutMs?: number;
  /** Bound on the wait for the other ranks to join, in ms (default timeoutMs). */
  rendezvousTimeoutMs?: number;
  /**
   * Gloo's device. Default: GLOO_SOCKET_IFNAME's interface when set (as PyTorch), else loopback when
   * the TCP host is a loopback address, else c10d's default (the address this machine's hostname
   * resolves to).
   */
  device?: GlooDevice;
}

/** Reductions: c10d's, plus 'avg' (Gloo has no AVG, so the sum is divided by the world size). */
export type ReduceOp = 'sum' | 'avg' | 'product' | 'min' | 'max';

/** The dtypes Gloo's collectives take in libtorch 1.13 (bool and bfloat16 are "Invalid scalar type"). */
export const GLOO_DTYPES: readonly DType[] = ['float32', 'float64', 'float16', 'int64', 'int32', 'uint8'];

function whole(name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new RangeError(`process group: ${name} must be a whole number in [${min}, ${max}], got ${v}`);
  }
  return v;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1)$/;

function deviceFor(o: ProcessGroupOptions, env: NodeJS.ProcessEnv): [NativeGlooDevice, string] {
  if (o.device) return 'interface' in o.device ? ['interface', o.device.interface] : ['hostname', o.device.hostname];
  if (env.GLOO_SOCKET_IFNAME) return ['interface', env.GLOO_SOCKET_IFNAME];
  if (o.rendezvous.kind === 'tcp' && LOOPBACK.test(o.rendezvous.host)) return ['hostname', '127.0.0.1'];
  // A file rendezvous on one machine, or a real network: c10d resolves the hostname (falling back to
  // loopback when that address cannot be bound).
  return ['default', ''];
}

/** Adds what a user can do about the two ways a peer fails: silence until the timeout, or a closed socket. */
function explain(e: unknown, timeoutMs: number): Error {
  const message = e instanceof Error ? e.message : String(e);
  let hint = '';
  if (/timed? ?out|timeout/i.test(message)) {
    hint = ` (no answer within the ${timeoutMs / 1000} s timeout: a peer has not started, has hung, has exited or is waiting in a different collective)`;
  } else if (/closed by peer|connection reset|broken pipe/i.test(message)) {
    hint = ' (a peer closed its connection: it exited or failed; its own log says why)';
  }
  return new Error(message + hint, { cause: e });
}

/**
 * One member of a c10d process group (Gloo). Collectives act in place on CPU tensors and resolve
 * when every rank has taken part; all ranks must call the same collectives in the same order with
 * tensors of the same shapes and dtypes. A peer that is lost makes the pending collective reject
 * within the timeout, with the operation and this rank in the message, never a hang.
 */
export class ProcessGroup {
  private id: number | null;

  private constructor(
    id: number,
    readonly rank: number,
    readonly worldSize: number,
    readonly backend: NativeBackend,
    readonly timeoutMs: number,
  ) {
    this.id = id;
  }

  /**
   * Joins a group: resolves once all `worldSize` ranks have met at the rendezvous.
   * @throws RangeError for a rank, world size, port or timeout out of range (before any I/O);
   *   Error "init (rank R of W): ..." when the rendezvous fails or times out, or the backend is 'nccl'
   *   on a libtorch without it.
   */
  static async create(o: ProcessGroupOptions, env: NodeJS.ProcessEnv = process.env): Promise<ProcessGroup> {
    const worldSize = whole('worldSize', o.worldSize, 1);
    const rank = whole('rank', o.rank, 0, worldSize - 1);
    const timeoutMs = whole('timeoutMs', o.timeoutMs ?? DEFAULT_TIMEOUT_MS, 1);
    const rendezvousMs = whole('rendezvousTimeoutMs', o.rendezvousTimeoutMs ?? timeoutMs, 1);
    const backend = o.backend ?? 'gloo';
    const r = o.rendezvous;
    if (r.kind === 'tcp') whole('rendezvous port', r.port, 1, 65535);
    if ((r.kind === 'tcp' ? r.host : r.path) === '') throw new RangeError(`process group: the ${r.kind} rendezvous needs a ${r.kind === 'tcp' ? 'host' : 'path'}`);
    const [device, deviceName] = deviceFor(o, env);
    try {
      const id = await native.distInit(backend, r.kind, r.kind === 'tcp' ? r.host : r.path, r.kind === 'tcp' ? r.port : 0,
        rank, worldSize, timeoutMs, device, deviceName, rendezvousMs);
      return new ProcessGroup(id, rank, worldSize, backend, timeoutMs);
    } catch (e) {
      // Refusals before any I/O (the 'nccl' guard) come as they are; failures of the rendezvous name it.
      if (!(e instanceof Error) || !e.message.startsWith('init (')) throw e;
      const at = r.kind === 'tcp' ? `TCPStore at ${r.host}:${r.port}` : `FileStore ${r.path} (remove it if an earlier job left it)`;
      // The addon already says how many ranks came; a timeout hint would only repeat it.
      const err = /joined the rendezvous/.test(e.message) ? new Error(e.message, { cause: e }) : explain(e, rendezvousMs);
      err.message += `; rendezvous: ${at}, every rank must use the same one and the same world size`;
      throw err;
    }
  }

  private handle(op: string): number {
    if (this.id === null) throw new Error(`${op}: the process group (rank ${this.rank} of ${this.worldSize}) was destroyed`);
    return this.id;
  }

  /**
   * Runs an in-place collective on tensors' handles. Gloo reads and writes a tensor's memory as one
   * block, so a non-contiguous tensor (a strided slice, a transpose) travels as a contiguous copy that
   * is copied back afterwards.
   */
  private async inPlace(op: string, tensors: readonly Tensor[], run: (handles: bigint[]) => Promise<void>): Promise<void> {
    tensors.forEach((t, i) => {
      if (!GLOO_DTYPES.includes(t.dtype)) throw new TypeError(`${op}: tensor ${i} is ${t.dtype}; Gloo takes ${GLOO_DTYPES.join(', ')} (convert it with .to())`);
    });
    const staged = tensors.map((t) => (t.isContiguous() ? null : t.contiguous()));
    try {
      await run(tensors.map((t, i) => (staged[i] ?? t).handle));
      staged.forEach((c, i) => { if (c) tensors[i]!.copy_(c); });
    } catch (e) {
      throw explain(e, this.timeoutMs);
    } finally {
      for (const c of staged) c?.dispose();
    }
  }

  /**
   * Reduces every tensor in place across the group; 'avg' divides the sum by the world size, so it
   * needs floating tensors. CPU tensors of any shape and layout and of GLOO_DTYPES; dtypes may differ
   * between tensors, but each tensor's shape and dtype must match on every rank.
   * @throws TypeError for a dtype Gloo lacks, or 'avg' of an integer tensor (before any communication);
   *   Error "allreduce (rank R of W): ..." when a peer is lost or the timeout passes.
   */
  async allreduce(tensors: readonly Tensor[], op: ReduceOp = 'sum'): Promise<void> {
    const id = this.handle('allreduce');
    if (op === 'avg') {
      tensors.forEach((t, i) => {
        if (!isFloating(t.dtype)) throw new TypeError(`allreduce 'avg': tensor ${i} is ${t.dtype}; averaging needs a floating dtype (use 'sum')`);
      });
    }
    await this.inPlace('allreduce', tensors, (handles) => native.distAllreduce(id, handles, op === 'avg' ? 'sum' : op));
    if (op === 'avg') for (const t of tensors) t.div_(this.worldSize);
  }

  /**
   * Overwrites every tensor in place with rank `root`'s (shapes and dtypes as allreduce's).
   * @throws RangeError for a root outside the group; the errors of allreduce.
   */
  async broadcast(tensors: readonly Tensor[], root = 0): Promise<void> {
    const id = this.handle('broadcast');
    whole('broadcast root', root, 0, this.worldSize - 1);
    await this.inPlace('broadcast', tensors, (handles) => native.distBroadcast(id, handles, root));
  }

  /**
   * The sum of `t` over the ranks as a new tensor that autograd differentiates: backward sums the
   * incoming gradient over the ranks too (torch.distributed.nn.functional.all_reduce with SUM). Unlike
   * the other collectives it blocks the JS thread until every rank has contributed (at most the
   * timeout): it is meant for small tensors inside a synchronous forward and backward, such as
   * SyncBatchNorm's per-channel statistics. Every rank must call it, and run the backward through it,
   * in the same order as the other ranks.
   * @throws TypeError for a dtype Gloo lacks; Error "allreduce with autograd (rank R of W): ..." when a
   *   peer is lost or the timeout passes (thrown from backward() when it happens there).
   */
  allreduceSumAutograd(t: Tensor): Tensor {
    const id = this.handle('allreduceSumAutograd');
    if (!GLOO_DTYPES.includes(t.dtype)) throw new TypeError(`allreduceSumAutograd: the tensor is ${t.dtype}; Gloo takes ${GLOO_DTYPES.join(', ')} (convert it with .to())`);
    try {
      return wrap(native.distAllreduceSumAutograd(id, t.handle));
    } catch (e) {
      throw explain(e, this.timeoutMs);
    }
  }

  /** Resolves once every rank has reached its barrier (and finished its earlier collectives). */
  async barrier(): Promise<void> {
    const id = this.handle('barrier');
    try {
      await native.distBarrier(id);
    } catch (e) {
      throw explain(e, this.timeoutMs);
    }
  }

  /** Leaves the group; later collectives throw. Idempotent. */
  destroy(): void {
    if (this.id !== null) native.distDestroy(this.id);
    this.id = null;
  }

  get isDestroyed(): boolean { return this.id === null; }
}
