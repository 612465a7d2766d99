import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detokenizeWords, tokenizeChars, tokenizeWords } from '../../src/data/index.js';
import { tokenize13a } from '../../src/metrics/index.js';

test('tokenizeChars: one token per code point', () => {
  assert.deepEqual(tokenizeChars('été😀'), ['é', 't', 'é', '😀']);
  assert.deepEqual(tokenizeChars(''), []);
});

test('tokenizeWords: punctuation apart, inner apostrophes, hyphens and decimals kept', () => {
  assert.deepEqual(tokenizeWords("I don't know, well-known 3.5 (yes)!"), [
    'I',
    "don't",
    'know',
    ',',
    'well-known',
    '3.5',
    '(',
    'yes',
    ')',
    '!',
  ]);
  assert.deepEqual(tokenizeWords('Où est-il ?', { lowercase: true }), ['où', 'est-il', '?']);
  assert.deepEqual(tokenizeWords('  '), []);
});

test('detokenizeWords then 13a gives the tokens of the original sentence', () => {
  const s = 'Tom said: "Don\'t go." It\'s 3.5 km, well-known.';
  assert.deepEqual(tokenize13a(detokenizeWords(tokenizeWords(s))), tokenize13a(s));
});
