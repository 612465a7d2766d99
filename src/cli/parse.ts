/**
 * Option parsers shared by every `attend` command: each returns commander's argument parser,
 * and a bad value fails with the option's name, what it must be and what was received.
 */
import { InvalidArgumentError } from 'commander';
import { MODEL_KINDS, type ModelKind } from '../models/seq2seq/factory.js';

/** An integer ≥ min (default 0). */
export function integer(name: string, min = 0) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`${name} must be an integer >= ${min}, received '${v}'`);
    return n;
  };
}

/** A finite number > 0. */
export function positive(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!(n > 0) || !Number.isFinite(n))
      throw new InvalidArgumentError(`${name} must be a positive number, received '${v}'`);
    return n;
  };
}

/** A finite number ≥ 0. */
export function nonNegative(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!(n >= 0) || !Number.isFinite(n))
      throw new InvalidArgumentError(`${name} must be a number >= 0, received '${v}'`);
    return n;
  };
}

/** A number in [0, 1). */
export function probability(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!(n >= 0 && n < 1)) throw new InvalidArgumentError(`${name} must be a number in [0, 1), received '${v}'`);
    return n;
  };
}

/** Comma-separated integers ≥ 1. */
export function integerList(name: string) {
  return (v: string): number[] => {
    const xs = v.split(',').map(Number);
    if (xs.some((x) => !Number.isInteger(x) || x < 1))
      throw new InvalidArgumentError(`${name} must be comma-separated integers >= 1, received '${v}'`);
    return xs;
  };
}

/** Comma-separated encoder-decoder kinds. */
export function modelList(name: string) {
  return (v: string): ModelKind[] => {
    const kinds = v.split(',');
    for (const k of kinds)
      if (!MODEL_KINDS.includes(k as ModelKind))
        throw new InvalidArgumentError(`${name}: each must be one of ${MODEL_KINDS.join(', ')}, received '${k}'`);
    return kinds as ModelKind[];
  };
}
