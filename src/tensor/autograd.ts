import type { TypedArray } from './dtype.js';
import type { Tensor } from './tensor.js';

/**
 * Reverse-mode autograd, micrograd style. An op that produces a tensor from inputs that
 * require grad records a GradFn: its inputs and a closure that maps the output's gradient
 * to one gradient per input (each op's backward sits beside its forward in src/ops).
 * `backward` sorts the graph topologically and runs the closures in reverse. Backward
 * closures run with grad recording off, so gradients are plain tensors.
 */
export interface GradFn {
  readonly name: string;
  inputs: Tensor[];
  backward: ((grad: Tensor) => (Tensor | null)[]) | null; // null once released
  /** See `record`: adds the input's gradient into a buffer of the input's shape. */
  scatter?: ((grad: Tensor, into: TypedArray) => void) | null;
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Run `fn` without recording any graph (like torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Attach the backward rule of an op to its output, if any input requires grad.
 * `scatter`, for a one-input op that reads part of its input (slice, gather, embedding): add
 * the input's gradient into `into` (the input's shape) in place. When the input's gradient is
 * already being summed, backward uses it instead of a zero tensor per use: taking T slices of
 * one tensor costs T slices, not T whole tensors. With `scatter`, `backward` must return a new
 * tensor (the pass then owns it).
 */
export function record(
  out: Tensor,
  name: string,
  inputs: Tensor[],
  backward: (grad: Tensor) => (Tensor | null)[],
  scatter?: (grad: Tensor, into: TypedArray) => void,
): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.gradFn = { name, inputs, backward, scatter: scatter ?? null };
    out._requiresGrad = true;
  }
  return out;
}

/** Tensors reachable from `root` through recorded ops, inputs before the ops that use them. */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // iterative DFS: an RNN unrolled over long sequences makes graphs deeper than the JS stack
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const inputs = top[0].gradFn?.inputs ?? [];
    if (top[1] < inputs.length) {
      const next = inputs[top[1]++];
      if (next.requiresGrad && !seen.has(next)) {
        seen.add(next);
        stack.push([next, 0]);
      }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  return order;
}

/**
 * Accumulate d(root)/d(leaf) into every leaf's `.grad`. The graph's closures (and the
 * tensors they hold) are released afterwards unless `retainGraph`.
 */
export function runBackward(root: Tensor, grad: Tensor, retainGraph = false): void {
  noGrad(() => backwardPass(root, grad, retainGraph));
}

/**
 * prev + g for a tensor reached by several paths. The first sum is a new tensor that this pass
 * owns; later sums add into it in place. Never in place into a gradient an op returned: an op
 * may hand back its incoming gradient itself (add does), shared with other inputs.
 */
function accumulate(prev: Tensor, g: Tensor, owned: Set<Tensor>): Tensor {
  if (!owned.has(prev) || prev.dtype !== g.dtype || prev.size !== g.size || prev.shape.length !== g.shape.length) {
    const sum = prev.add(g);
    owned.add(sum);
    return sum;
  }
  const p = prev.data;
  const d = g.data;
  for (let i = 0; i < p.length; i++) p[i] += d[i];
  return prev;
}

function backwardPass(root: Tensor, grad: Tensor, retainGraph: boolean): void {
  const order = topoOrder(root);
  const grads = new Map<Tensor, Tensor>([[root, grad]]);
  const owned = new Set<Tensor>();
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i];
    const g = grads.get(t);
    grads.delete(t);
    if (!g) continue;
    owned.delete(g); // from here on g may be shared (an op may pass it through as an input's gradient)
    const fn = t.gradFn;
    if (!fn) {
      t.grad = t.grad ? t.grad.add(g) : g; // a leaf: accumulate, as PyTorch does
      continue;
    }
    if (!fn.backward) {
      throw new Error(
        `backward: the graph through '${fn.name}' was already released by an earlier backward(); ` +
          'pass { retainGraph: true } to the first call to go through it twice',
      );
    }
    const inputs = fn.inputs;
    if (fn.scatter && inputs.length === 1) {
      scatterInto(fn, g, inputs[0], grads, owned);
      release(fn, retainGraph);
      continue;
    }
    const inputGrads = fn.backward(g);
    for (let k = 0; k < inputs.length; k++) {
      const input = inputs[k];
      const gi = inputGrads[k];
      if (!gi || !input.requiresGrad) continue;
      const prev = grads.get(input);
      grads.set(input, prev ? accumulate(prev, gi, owned) : gi);
    }
    release(fn, retainGraph);
  }
}

function release(fn: GradFn, retainGraph: boolean): void {
  if (!retainGraph) {
    fn.backward = null;
    fn.scatter = null;
    fn.inputs = [];
  }
}

/** The backward of an op recorded with `scatter`: into the input's running sum when the pass owns one. */
function scatterInto(fn: GradFn, g: Tensor, input: Tensor, grads: Map<Tensor, Tensor>, owned: Set<Tensor>): void {
  if (!input.requiresGrad) return;
  const prev = grads.get(input);
  if (prev && owned.has(prev) && prev.dtype === g.dtype) {
    fn.scatter!(g, prev.data);
    return;
  }
  const fresh = fn.backward!(g)[0];
  if (!fresh) return;
  owned.add(fresh);
  grads.set(input, prev ? accumulate(fresh, prev, owned) : fresh);
}
