import { kernels } from '../kernels/registry.js';
import { recycle } from '../tensor/pool.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Optimisers with PyTorch's update rules (torch.optim), updating parameter data in place.
 * Their state (moments, step) is plain arrays, so a checkpoint can save and restore it exactly.
 */
export interface OptimizerState {
  step: number;
  buffers: Record<string, number[][]>;
}

export abstract class Optimizer {
  readonly params: Tensor[];
  lr: number;
  step_ = 0;

  constructor(params: Iterable<Tensor>, lr: number) {
    this.params = [...params];
    if (this.params.length === 0) throw new Error(`${this.constructor.name}: params is empty`);
    this.params.forEach((p, i) => {
      if (!p.requiresGrad) throw new Error(`${this.constructor.name}: params[${i}] does not require grad`);
    });
    if (!(lr >= 0)) throw new Error(`${this.constructor.name}: lr must be ≥ 0, received ${lr}`);
    this.lr = lr;
  }

  /**
   * Forget every parameter's gradient (set to null, as PyTorch's set_to_none). With
   * `release: true` their storage also goes back to the tensor pool (src/tensor/pool.ts), where
   * the next backward takes it for the new gradients: otherwise a step allocates 4 bytes a
   * parameter afresh, and that external memory sets off garbage collections. Then no earlier
   * `.grad` may be read again (nor a tensor passed to `backward(grad)` that became one).
   */
  zeroGrad(options: { release?: boolean } = {}): void {
    for (const p of this.params) {
      if (options.release && p.grad) recycle([p.grad.data.buffer as ArrayBuffer]);
      p.grad = null;
    }
  }

  /** One update from the current gradients; parameters without a gradient are skipped. */
  step(): void {
    this.step_++;
    this.params.forEach((p, i) => {
      if (p.grad) this.update(i, p.data as Float32Array | Float64Array, p.grad.data as Float32Array | Float64Array);
    });
  }

  protected abstract update(i: number, p: Float32Array | Float64Array, g: Float32Array | Float64Array): void;
  protected abstract buffers(): Record<string, (Float32Array | Float64Array | null)[]>;

  stateDict(): OptimizerState {
    const out: Record<string, number[][]> = {};
    for (const [name, list] of Object.entries(this.buffers())) out[name] = list.map((b) => (b ? Array.from(b) : []));
    return { step: this.step_, buffers: out };
  }

  loadStateDict(state: OptimizerState): void {
    if (!state || !Number.isInteger(state.step) || typeof state.buffers !== 'object') {
      throw new Error(`${this.constructor.name}.loadStateDict: expected { step, buffers }`);
    }
    const own = this.buffers();
    for (const [name, list] of Object.entries(own)) {
      const saved = state.buffers[name];
      if (!Array.isArray(saved) || saved.length !== list.length) {
        throw new Error(`${this.constructor.name}.loadStateDict: buffer '${name}' must list ${list.length} parameters`);
      }
      saved.forEach((values, i) => {
        if (values.length === 0) {
          list[i] = null;
          return;
        }
        if (values.length !== this.params[i].size) {
          throw new Error(
            `${this.constructor.name}.loadStateDict: ${name}[${i}] has ${values.length} values, the parameter has ${this.params[i].size}`,
          );
        }
        const b = new (this.params[i].data.constructor as Float32ArrayConstructor)(values.length);
        b.set(values);
        list[i] = b;
      });
    }
    this.step_ = state.step;
  }
}

function zerosLikeData(p: Float32Array | Float64Array): Float32Array | Float64Array {
  return new (p.constructor as Float32ArrayConstructor)(p.length);
}

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

/** SGD with momentum (torch.optim.SGD): b = μ·b + (1 − τ)·g (b = g at first); p −= lr·(nesterov ? g + μ·b : b). */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  private momentumBuffers: (Float32Array | Float64Array | null)[];

  constructor(params: Iterable<Tensor>, options: SGDOptions) {
    super(params, options.lr);
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.nesterov = options.nesterov ?? false;
    this.weightDecay = options.weightDecay ?? 0;
    this.momentumBuffers = this.params.map(() => null);
  }

  protected update(i: number, p: Float32Array | Float64Array, g: Float32Array | Float64Array): void {
    const { momentum: mu, dampening: tau, weightDecay: wd, lr } = this;
    let buf = this.momentumBuffers[i];
    const first = buf === null;
    if (mu !== 0 && !buf) buf = this.momentumBuffers[i] = zerosLikeData(p);
    for (let j = 0; j < p.length; j++) {
      let d = g[j] + wd * p[j];
      if (buf) {
        buf[j] = first ? d : mu * buf[j] + (1 - tau) * d;
        d = this.nesterov ? d + mu * buf[j] : buf[j];
      }
      p[j] -= lr * d;
    }
  }

  protected buffers() {
    return { momentum: this.momentumBuffers };
  }
}

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/**
 * Adam (Kingma & Ba 2015), torch.optim.Adam:
 *   m = β1·m + (1 − β1)·g ;  v = β2·v + (1 − β2)·g²
 *   p −= lr · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + eps)
 * Adam's weight decay is L2 (added to g); AdamW's is decoupled (p −= lr·wd·p first).
 */
export class Adam extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  protected readonly decoupled: boolean = false;
  private m: (Float32Array | Float64Array | null)[];
  private v: (Float32Array | Float64Array | null)[];

  constructor(params: Iterable<Tensor>, options: AdamOptions = {}) {
    super(params, options.lr ?? 1e-3);
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    const [b1, b2] = this.betas;
    if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1))
      throw new Error(`Adam: betas must be in [0, 1), received [${b1}, ${b2}]`);
    this.m = this.params.map(() => null);
    this.v = this.params.map(() => null);
  }

  protected update(i: number, p: Float32Array | Float64Array, g: Float32Array | Float64Array): void {
    const m = (this.m[i] ??= zerosLikeData(p));
    const v = (this.v[i] ??= zerosLikeData(p));
    const [beta1, beta2] = this.betas;
    const t = this.step_;
    const wd = this.weightDecay;
    kernels().adamStep(p, g, m, v, {
      beta1,
      beta2,
      stepSize: this.lr / (1 - beta1 ** t),
      sqrtBias2: Math.sqrt(1 - beta2 ** t),
      eps: this.eps,
      decay: this.decoupled ? 1 - this.lr * wd : 1,
      l2: this.decoupled ? 0 : wd,
    });
  }

  protected buffers() {
    return { exp_avg: this.m, exp_avg_sq: this.v };
  }
}

/** AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay; default wd 0.01 as PyTorch. */
export class AdamW extends Adam {
  protected override readonly decoupled = true;
  constructor(params: Iterable<Tensor>, options: AdamOptions = {}) {
    super(params, { weightDecay: 0.01, ...options });
  }
}
