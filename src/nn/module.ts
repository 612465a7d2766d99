import { Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';

/**
 * The base of every layer, as torch.nn.Module. A module's parameters are its own fields
 * that hold tensors requiring grad, and its submodules are fields that hold modules, found
 * in the order they were assigned. Field names are the state_dict names, so they follow
 * PyTorch's spelling (`in_proj_weight`, `self_attn`, `linear1`): weights move between the
 * two libraries by name.
 */
export abstract class Module {
  /** Train mode (dropout active) or eval mode. */
  training = true;

  abstract forward(...args: never[]): unknown;

  /** (name, tensor) for every parameter, own first then each submodule's, dotted as PyTorch. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, value] of this.fields()) {
      if (value instanceof Tensor && value.requiresGrad) out.push([prefix + name, value]);
    }
    for (const [name, child] of this.namedChildren()) out.push(...child.namedParameters(`${prefix}${name}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Direct submodules, by field name. */
  namedChildren(): [string, Module][] {
    return this.fields().filter((e): e is [string, Module] => e[1] instanceof Module);
  }

  /** Names of tensor fields that belong in the state dict without being trained (e.g. running stats). */
  protected persistentBuffers(): string[] {
    return [];
  }

  /** Every parameter and persistent buffer by dotted name (shares storage, like PyTorch's state_dict). */
  stateDict(prefix = ''): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, value] of this.fields()) {
      if (value instanceof Tensor && (value.requiresGrad || this.persistentBuffers().includes(name))) {
        out[prefix + name] = value.detach();
      }
    }
    for (const [name, child] of this.namedChildren()) Object.assign(out, child.stateDict(`${prefix}${name}.`));
    return out;
  }

  /**
   * Copy tensors into this module's parameters by name. With `strict` (the default) every
   * key must match: missing and unexpected keys are listed together in one error. A shape
   * mismatch is always an error, naming the key and both shapes.
   */
  loadStateDict(
    dict: Record<string, Tensor>,
    options: { strict?: boolean } = {},
  ): { missing: string[]; unexpected: string[] } {
    const strict = options.strict ?? true;
    const own = this.stateDict();
    const missing = Object.keys(own).filter((k) => !(k in dict));
    const unexpected = Object.keys(dict).filter((k) => !(k in own));
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      const parts = [];
      if (missing.length) parts.push(`missing keys: ${missing.join(', ')}`);
      if (unexpected.length) parts.push(`unexpected keys: ${unexpected.join(', ')}`);
      throw new Error(`loadStateDict: ${parts.join('; ')}`);
    }
    const problems: string[] = [];
    for (const [key, target] of Object.entries(own)) {
      const src = dict[key];
      if (!src) continue;
      if (!(src instanceof Tensor)) {
        problems.push(`${key}: expected a Tensor`);
        continue;
      }
      if (src.shape.length !== target.shape.length || src.shape.some((d, i) => d !== target.shape[i])) {
        problems.push(`${key}: expected shape ${fmt(target.shape)}, received ${fmt(src.shape)}`);
      }
    }
    if (problems.length) throw new Error(`loadStateDict: ${problems.join('; ')}`);
    for (const [key, target] of Object.entries(own)) {
      const src = dict[key];
      if (src) target.data.set(src.dtype === target.dtype ? src.data : Array.from(src.data));
    }
    return { missing, unexpected };
  }

  /** Set train mode here and in every submodule. */
  train(mode = true): this {
    this.training = mode;
    for (const [, child] of this.namedChildren()) child.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Forget every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  private fields(): [string, unknown][] {
    return Object.entries(this).filter(([k]) => k !== 'training');
  }
}

/** Modules held in a list, named 0, 1, 2, … (torch.nn.ModuleList). */
export class ModuleList<M extends Module = Module> extends Module {
  constructor(modules: M[] = []) {
    super();
    modules.forEach((m, i) => ((this as unknown as Record<string, M>)[String(i)] = m));
  }
  get length(): number {
    return this.namedChildren().length;
  }
  at(i: number): M {
    const m = (this as unknown as Record<string, M>)[String(i)];
    if (!m) throw new Error(`ModuleList: index ${i} out of range for ${this.length} modules`);
    return m;
  }
  [Symbol.iterator](): Iterator<M> {
    return (this.namedChildren().map(([, m]) => m) as M[])[Symbol.iterator]();
  }
  forward(): never {
    throw new Error('ModuleList has no forward(); call its modules');
  }
}
