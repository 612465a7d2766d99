import type { Command } from 'commander';

/** The `attend` commands of this file register here (filled in by the work on its issue). */
export function registerClassifyCommands(program: Command): void {
  void program;
}
