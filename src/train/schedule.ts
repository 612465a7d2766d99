/**
 * Learning-rate schedules: pure functions of the step (1-based: the step about to be taken),
 * so resuming a run needs only the step count.
 *
 * - constant
 * - inverse-sqrt: linear warmup, then ∝ 1/√step (Vaswani et al. 2017, §5.3, "Noam"):
 *     lr · min(step / warmup, √(warmup / step))   (peaks at lr when step = warmup)
 * - cosine: linear warmup, then half a cosine from lr down to minLr at totalSteps
 *     (Loshchilov & Hutter 2017, without restarts)
 * - step: lr · gamma^⌊step / stepSize⌋
 */
export type ScheduleConfig =
  | { type: 'constant' }
  | { type: 'inverse-sqrt'; warmup: number }
  | { type: 'cosine'; warmup: number; totalSteps: number; minLr?: number }
  | { type: 'step'; stepSize: number; gamma: number };

export function learningRate(schedule: ScheduleConfig, lr: number, step: number): number {
  if (!Number.isInteger(step) || step < 1)
    throw new Error(`learningRate: step must be an integer >= 1, received ${step}`);
  switch (schedule.type) {
    case 'constant':
      return lr;
    case 'inverse-sqrt': {
      const w = Math.max(1, schedule.warmup);
      return lr * Math.min(step / w, Math.sqrt(w / step));
    }
    case 'cosine': {
      const w = Math.max(0, schedule.warmup);
      if (step <= w) return (lr * step) / w;
      const min = schedule.minLr ?? 0;
      const progress = Math.min(1, (step - w) / Math.max(1, schedule.totalSteps - w));
      return min + 0.5 * (lr - min) * (1 + Math.cos(Math.PI * progress));
    }
    case 'step':
      return lr * schedule.gamma ** Math.floor(step / schedule.stepSize);
  }
}

/** Parse a CLI-style schedule name with defaults: 'constant', 'inverse-sqrt', 'cosine', 'step'. */
export function scheduleFromName(name: string, options: { warmup?: number; totalSteps: number }): ScheduleConfig {
  const warmup = options.warmup ?? Math.min(1000, Math.ceil(options.totalSteps / 10));
  switch (name) {
    case 'constant':
      return { type: 'constant' };
    case 'inverse-sqrt':
      return { type: 'inverse-sqrt', warmup };
    case 'cosine':
      return { type: 'cosine', warmup, totalSteps: options.totalSteps };
    case 'step':
      return { type: 'step', stepSize: Math.max(1, Math.ceil(options.totalSteps / 3)), gamma: 0.3 };
  }
  throw new Error(`schedule: expected constant, inverse-sqrt, cosine or step, received '${name}'`);
}
