import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Bpe, learnBpe } from '../../src/data/index.js';

// Sennrich et al. (2016), figure 1's toy corpus: low ×5, lower ×2, newest ×6, widest ×3
const corpus = ['low low low low low lower lower', 'newest newest newest newest newest newest widest widest widest'];

test('learnBpe: merges of the toy corpus, worked by hand', () => {
  // pair counts at the start: e s 9, s t</w> 9, w e 8, l o 7, n e 6, e w 6, o w</w> 5, ...
  // 1. (e,s) 9 and (s,t</w>) 9 tie → "e s" sorts first
  // 2. (es,t</w>) 9
  // 3. (l,o) 7 (w e fell to 2: newest is now n e w est</w>)
  // 4. (e,w) 6 ties with (n,e) 6 and (w,est</w>) 6 → "e w"
  const bpe = learnBpe(corpus, 4);
  assert.deepEqual(bpe.merges, [
    ['e', 's'],
    ['es', 't</w>'],
    ['l', 'o'],
    ['e', 'w'],
  ]);
});

test('Bpe.encode: pieces with @@ on all but the last, and decode inverts it', () => {
  const bpe = learnBpe(corpus, 10);
  assert.deepEqual(bpe.encode('lowest'), ['lo@@', 'w@@', 'est']);
  assert.deepEqual(bpe.encode('newest'), ['newest']);
  assert.deepEqual(bpe.encode('zzz'), ['z@@', 'z@@', 'z']);
  const words = ['lowest', 'newer', 'wider', 'low'];
  assert.deepEqual(bpe.decode(bpe.encodeWords(words)), words);
  // a model that stops mid-word still gives its letters
  assert.deepEqual(bpe.decode(['lo@@']), ['lo']);
});

test('learnBpe: deterministic whatever the corpus order, stops when pairs are rare', () => {
  const a = learnBpe(corpus, 50);
  const b = learnBpe([...corpus].reverse(), 50);
  assert.deepEqual(a.merges, b.merges);
  // minFrequency 2 (default): the single-word pairs of "widest" (count 3) merge, nothing seen once
  assert.ok(a.merges.length < 50);
  assert.equal(learnBpe(['ab'], 5).merges.length, 0);
  assert.deepEqual(learnBpe(['ab'], 5, { minFrequency: 1 }).merges, [['a', 'b</w>']]);
});

/** The textbook algorithm: recount every pair before each merge (slow, obviously right). */
function naiveBpe(words: string[], numMerges: number): [string, string][] {
  const freq = new Map<string, number>();
  for (const w of words) freq.set(w, (freq.get(w) ?? 0) + 1);
  const segs = [...freq].map(([w, f]) => {
    const s = [...w];
    s[s.length - 1] += '</w>';
    return { s, f };
  });
  const merges: [string, string][] = [];
  while (merges.length < numMerges) {
    const counts = new Map<string, number>();
    for (const { s, f } of segs)
      for (let i = 0; i + 1 < s.length; i++) {
        const k = s[i] + ' ' + s[i + 1];
        counts.set(k, (counts.get(k) ?? 0) + f);
      }
    let best = '';
    let bc = 0;
    for (const [k, c] of counts) if (c > bc || (c === bc && k < best)) [best, bc] = [k, c];
    if (bc < 2) break;
    const [a, b] = best.split(' ');
    merges.push([a, b]);
    for (const seg of segs) {
      const t: string[] = [];
      for (let i = 0; i < seg.s.length; i++) {
        if (i + 1 < seg.s.length && seg.s[i] === a && seg.s[i + 1] === b) {
          t.push(a + b);
          i++;
        } else t.push(seg.s[i]);
      }
      seg.s = t;
    }
  }
  return merges;
}

test('learnBpe: the incremental counts give the textbook merges, repeated pairs included', () => {
  // "abab" is a b a b</w>: (a,b) 2, (b,a) 2, (a,b</w>) 2 over two words → "a b" sorts first,
  // then "a b</w>" beats "ab a", then (ab, ab</w>)
  assert.deepEqual(learnBpe(['abab abab'], 3).merges, [
    ['a', 'b'],
    ['a', 'b</w>'],
    ['ab', 'ab</w>'],
  ]);
  // runs like "a b a b x" and "a a a" exercise the neighbour updates; a fixed pseudo-random corpus
  let x = 12345;
  const rand = (n: number): number => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) % n;
  const words = Array.from({ length: 400 }, () => Array.from({ length: 1 + rand(8) }, () => 'aab'[rand(3)]).join(''));
  words.push('ababx', 'ababx', 'aaaa', 'aaaa', 'aaa');
  assert.deepEqual(learnBpe(words, 60).merges, naiveBpe(words, 60));
});

test('Bpe: JSON round trip', () => {
  const bpe = learnBpe(corpus, 10);
  const back = Bpe.fromJSON(JSON.parse(JSON.stringify(bpe)));
  assert.deepEqual(back.merges, bpe.merges);
  assert.deepEqual(back.encode('lowest'), bpe.encode('lowest'));
  assert.throws(() => Bpe.fromJSON({ merges: [['a']] } as never), /expected \{ merges: \[string, string\]\[\] \}/);
  assert.throws(() => learnBpe(corpus, -1), /numMerges must be an integer >= 0, received -1/);
});
