import type { TypedArray } from './dtype.js';
import { recordAllocations, recycle } from './pool.js';
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
  /** See `record`: backward that may add into the running sums of the inputs' gradients. */
  addInto?: AddInto | null;
}

/**
 * A backward that adds input k's gradient into sums[k] (the input's shape) when sums[k] is
 * given, returning null for it, and otherwise returns a new tensor no one else holds.
 */
export type AddInto = (grad: Tensor, sums: (TypedArray | null)[]) => (Tensor | null)[];

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
 * `addInto`, optional, is the same backward able to add into a gradient being summed: an op
 * whose input is used many times (a weight at every RNN step, a slice of one tensor per step)
 * then costs one running sum, updated in place (by its GEMM, for linear), not a new tensor and
 * an addition per use.
 */
export function record(
  out: Tensor,
  name: string,
  inputs: Tensor[],
  backward: (grad: Tensor) => (Tensor | null)[],
  addInto?: AddInto,
): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.gradFn = { name, inputs, backward, addInto: addInto ?? null };
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

export interface BackwardOptions {
  /** Keep the graph for another backward through it (as PyTorch's retain_graph). */
  retainGraph?: boolean;
  /**
   * The caller holds none of the graph's intermediate tensors (a training step that reads only
   * the loss): their storage goes back to the pool too. Using one afterwards reads garbage.
   */
  releaseActivations?: boolean;
}

/**
 * Accumulate d(root)/d(leaf) into every leaf's `.grad`. The graph's closures (and the
 * tensors they hold) are released afterwards unless `retainGraph`.
 *
 * Every array the pass allocates is dead when it ends, but the leaves' new `.grad`: the other
 * gradients lived in the pass's own map, the temporaries in the closures. They go back to the
 * pool (pool.ts) for the next step instead of waiting for the garbage collector. With
 * `releaseActivations`, so do the outputs of the graph's ops; never a leaf's storage (a view op
 * shares its input's, so a parameter's view is not dead with the graph), nor the root's.
 */
export function runBackward(root: Tensor, grad: Tensor, options: BackwardOptions = {}): void {
  const retainGraph = options.retainGraph ?? false;
  if (retainGraph && options.releaseActivations)
    throw new Error('backward: releaseActivations frees the graph that retainGraph keeps; pass one or the other');
  const { result: order, allocated: dead } = recordAllocations(() =>
    noGrad(() => backwardPass(root, grad, retainGraph)),
  );
  const storage = (t: Tensor) => t.data.buffer as ArrayBuffer;
  if (options.releaseActivations) for (const t of order) if (t.gradFn) dead.add(storage(t));
  for (const t of order) {
    if (t.gradFn) continue;
    dead.delete(storage(t));
    if (t.grad) dead.delete(storage(t.grad));
  }
  dead.delete(storage(root));
  dead.delete(storage(grad));
  recycle(dead);
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

/** Returns the graph's tensors, inputs first. */
function backwardPass(root: Tensor, grad: Tensor, retainGraph: boolean): Tensor[] {
  const order = topoOrder(root);
  const grads = new Map<Tensor, Tensor>([[root, grad]]);
  const owned = new Set<Tensor>();
  const leafStorage = new Set<ArrayBufferLike>();
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i];
    const g = grads.get(t);
    grads.delete(t);
    if (!g) continue;
    owned.delete(g); // from here on g may be shared (an op may pass it through as an input's gradient)
    const fn = t.gradFn;
    if (!fn) {
      let sum = t.grad ? t.grad.add(g) : g; // a leaf: accumulate, as PyTorch does
      // an op may hand one gradient to two inputs (add of two leaves of one shape): each leaf
      // gets its own, or scaling one in place (clipGradNorm) would scale the other too
      if (leafStorage.has(sum.data.buffer)) sum = sum.clone();
      leafStorage.add(sum.data.buffer);
      t.grad = sum;
      continue;
    }
    if (!fn.backward) {
      throw new Error(
        `backward: the graph through '${fn.name}' was already released by an earlier backward(); ` +
          'pass { retainGraph: true } to the first call to go through it twice',
      );
    }
    const inputs = fn.inputs;
    if (fn.addInto) {
      backwardInto(fn.addInto, g, inputs, grads, owned);
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
  return order;
}

function release(fn: GradFn, retainGraph: boolean): void {
  if (!retainGraph) {
    fn.backward = null;
    fn.addInto = null;
    fn.inputs = [];
  }
}

/** The backward of an op recorded with `addInto`: into each input's running sum that the pass owns. */
function backwardInto(
  addInto: AddInto,
  g: Tensor,
  inputs: Tensor[],
  grads: Map<Tensor, Tensor>,
  owned: Set<Tensor>,
): void {
  const sums = inputs.map((input) => {
    const prev = input.requiresGrad ? grads.get(input) : undefined;
    return prev && owned.has(prev) && prev.dtype === g.dtype ? prev.data : null;
  });
  const results = addInto(g, sums);
  for (let k = 0; k < inputs.length; k++) {
    const input = inputs[k];
    const fresh = results[k];
    if (!fresh || !input.requiresGrad) continue;
    owned.add(fresh); // new, held by no one else: later uses may add into it
    const prev = grads.get(input);
    grads.set(input, prev ? accumulate(fresh, prev, owned) : fresh);
  }
}
