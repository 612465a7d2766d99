/**
 * The training progress bar (cli-progress: maintained, no dependencies of note, handles
 * non-TTY output). Shows epoch, live loss, throughput and the ETA. Off for --json and when
 * stderr is not a terminal (CI logs get one line per evaluation instead).
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(step: number, fields: { epoch: number; loss: number; tokensPerSecond: number }): void;
  message(line: string): void;
  stop(): void;
}

export function createProgress(total: number, enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) {
    return { update() {}, message: (line) => console.error(line), stop() {} };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: ' {bar} {percentage}% | epoch {epoch} | loss {loss} | {tps} tok/s | ETA {eta_formatted}',
      stream: process.stderr,
      etaBuffer: 50,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { epoch: 0, loss: '-', tps: '-' });
  return {
    update(step, f) {
      bar.update(Math.min(step, total), {
        epoch: f.epoch,
        loss: f.loss.toFixed(3),
        tps: Math.round(f.tokensPerSecond),
      });
    },
    message(line) {
      // print above the bar: clear it, write, redraw
      process.stderr.write('\r\x1b[K' + line + '\n');
      bar.render();
    },
    stop: () => bar.stop(),
  };
}

/** '30m', '90s', '1h', '1h30m', or plain seconds → milliseconds. */
export function parseDuration(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d+)?)(h|m|s)/g;
  let ms = 0;
  let consumed = '';
  for (const m of t.matchAll(re)) {
    ms += Number(m[1]) * { h: 3_600_000, m: 60_000, s: 1000 }[m[2] as 'h' | 'm' | 's'];
    consumed += m[0];
  }
  if (consumed !== t || ms <= 0) throw new Error(`a duration like 30m, 90s or 1h30m, received '${text}'`);
  return ms;
}
