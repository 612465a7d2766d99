// Parsing SpamAssassin messages into what the classifier reads, tokenising them, and the
// stratified split: on small messages written here (the 93 MB corpus is not needed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeBase64,
  decodeEncodedWords,
  decodeQuotedPrintable,
  htmlToText,
  labelOfGroup,
  messageText,
  parseMessage,
  splitHeaders,
  splitSpam,
  tokenizeMessage,
} from '../../src/data/spam.js';

const utf8 = (b: Uint8Array) => new TextDecoder().decode(b);

test('splitHeaders: skips the mbox From line, unfolds continued headers, lower-cases names, keeps the first of a repeat', () => {
  const raw = [
    'From someone@example.com  Thu Aug 22 12:36:23 2002',
    'Received: from a',
    '\tby b',
    'Subject: Hello',
    '  world',
    'Received: second',
    '',
    'Body line 1',
    '',
    'Body line 3',
  ].join('\n');
  const { headers, body } = splitHeaders(raw);
  assert.deepEqual(headers, { received: 'from a by b', subject: 'Hello world' });
  assert.equal(body, 'Body line 1\n\nBody line 3');
  // CRLF is read as LF; a part starting with a blank line has no headers
  assert.deepEqual(splitHeaders('Subject: x\r\n\r\nbody\r\n'), { headers: { subject: 'x' }, body: 'body\n' });
  assert.deepEqual(splitHeaders('\njust text'), { headers: {}, body: 'just text' });
});

test('decodeQuotedPrintable: =XX bytes, soft line breaks; decodeBase64 as Node decodes it', () => {
  assert.equal(utf8(decodeQuotedPrintable('caf=C3=A9 =3D ok=\nay')), 'café = okay');
  assert.equal(utf8(decodeQuotedPrintable('a=20\r\nb')), 'a \r\nb');
  const text = 'Dear friend, ¡ÉXITO! 100% free — now';
  const b64 = Buffer.from(text, 'utf8').toString('base64');
  const wrapped = b64.replace(/(.{16})/g, '$1\n');
  assert.equal(utf8(decodeBase64(wrapped)), text);
  assert.deepEqual([...decodeBase64('AAEC/w==')], [0, 1, 2, 255]);
});

test('decodeEncodedWords: RFC 2047 B and Q words, adjacent words joined', () => {
  assert.equal(decodeEncodedWords('=?iso-8859-1?Q?caf=E9_au_lait?='), 'café au lait');
  assert.equal(decodeEncodedWords('=?utf-8?B?SGVsbG8=?= =?utf-8?B?IHdvcmxk?= !'), 'Hello world !');
});

test('htmlToText: drops comments, style and script, breaks lines at blocks, decodes entities', () => {
  const html =
    '<html><head><style>p { color: red }</style></head><body><!-- hidden -->' +
    '<p>Buy&nbsp;<b>now</b> &amp; save &#36;10 &#x263A;</p><script>alert(1)</script><div>Bye</div></body></html>';
  const lines = htmlToText(html)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  assert.deepEqual(lines, ['Buy now & save $10 ☺', 'Bye']);
});

/** A multipart/alternative message: quoted-printable plain text and an HTML twin. */
const alternative = [
  'From: a@example.com',
  'Subject: =?utf-8?Q?Caf=C3=A9?= news',
  'MIME-Version: 1.0',
  'Content-Type: multipart/alternative;',
  ' boundary="XYZ"',
  '',
  'This is a multi-part message in MIME format.',
  '--XYZ',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Meet at the caf=C3=A9 at 10=3A30, a long line that is =',
  'continued.',
  '--XYZ',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<p>HTML twin</p>',
  '--XYZ--',
  'epilogue',
].join('\n');

test('parseMessage: multipart/alternative reads the plain part, decoded; the subject decoded', () => {
  const m = parseMessage(alternative);
  assert.equal(m.subject, 'Café news');
  assert.equal(m.body.trim(), 'Meet at the café at 10:30, a long line that is continued.');
});

test('parseMessage: multipart/mixed keeps base64 HTML as text and drops attachments and headers', () => {
  const html = Buffer.from('<html><body><font color=red>FREE</font> offer!<br>Click</body></html>').toString('base64');
  const raw = [
    'Received: from relay.spamtrap.example',
    'X-Spam-Status: Yes, hits=12',
    'Subject: You won',
    'Content-Type: multipart/mixed; boundary=outer',
    '',
    '--outer',
    'Content-Type: text/html; charset="us-ascii"',
    'Content-Transfer-Encoding: base64',
    '',
    html,
    '--outer',
    'Content-Type: image/gif; name="x.gif"',
    'Content-Transfer-Encoding: base64',
    '',
    'R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7',
    '--outer--',
  ].join('\n');
  const text = messageText(raw);
  assert.deepEqual(
    text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
    ['You won', 'FREE offer!', 'Click'],
  );
  // the headers that name the trap or a filter's verdict never reach the model
  assert.doesNotMatch(text, /spamtrap|X-Spam|hits|R0lGOD/);
});

test('parseMessage: a message without MIME headers is its body; text/plain that is HTML is read as HTML', () => {
  assert.equal(messageText('Subject: hi\n\nplain words\n'), 'hi\nplain words\n');
  assert.equal(messageText('Subject: s\n\n<html><body>A&amp;B</body></html>').trim(), 's\n A&B');
  assert.throws(() => parseMessage(3 as unknown as string), /parseMessage: raw must be a string, received number/);
});

test('tokenizeMessage: lower-cased words, <url> and <email>, repeated symbols once, maxTokens cap', () => {
  const text = 'WIN $1,000 NOW!!!! Visit http://www.example.com/x?a=1 or mail me@spam.example.com -----';
  assert.deepEqual(tokenizeMessage(text), [
    'win',
    '$',
    '1,000',
    'now',
    '!',
    'visit',
    '<url>',
    'or',
    'mail',
    '<email>',
    '-',
  ]);
  assert.deepEqual(tokenizeMessage(text, { maxTokens: 3 }), ['win', '$', '1,000']);
  assert.throws(() => tokenizeMessage(text, { maxTokens: 0 }), /maxTokens must be >= 1, received 0/);
});

test('labelOfGroup: spam groups are spam, easy and hard ham are ham, anything else is an error', () => {
  assert.equal(labelOfGroup('spam-2'), 'spam');
  assert.equal(labelOfGroup('hard-ham-1'), 'ham');
  assert.equal(labelOfGroup('easy-ham-2'), 'ham');
  assert.throws(() => labelOfGroup('ham'), /group must start with 'spam', 'easy-ham' or 'hard-ham', received 'ham'/);
});

test('splitSpam: every group split 70/15/15, deterministic, independent of order, duplicates together', () => {
  const messages: { id: number; group: string; checksum: { value: string } }[] = [];
  const sizes: Record<string, number> = { 'easy-ham-1': 200, 'hard-ham-1': 40, 'spam-1': 100 };
  let id = 0;
  for (const [group, n] of Object.entries(sizes))
    for (let i = 0; i < n; i++) messages.push({ id: id++, group, checksum: { value: `${group}-${i}` } });
  // one message twice (same checksum): it must not straddle train and test
  messages.push({ id: id++, group: 'spam-1', checksum: { value: 'spam-1-7' } });
  const s = splitSpam(messages);
  const distinct = (xs: typeof messages, g: string) =>
    new Set(xs.filter((m) => m.group === g).map((m) => m.checksum.value)).size;
  // test and dev get round(0.15 · distinct checksums) of each group: 30 / 6 / 15
  for (const [group, n] of Object.entries(sizes)) {
    assert.equal(distinct(s.test, group), Math.round(0.15 * n), group);
    assert.equal(distinct(s.dev, group), Math.round(0.15 * n), group);
    assert.equal(distinct(s.train, group), n - 2 * Math.round(0.15 * n), group);
  }
  assert.equal(s.train.length + s.dev.length + s.test.length, messages.length);
  const setOf = (value: string) =>
    (['train', 'dev', 'test'] as const).filter((k) => s[k].some((m) => m.checksum.value === value));
  assert.equal(setOf('spam-1-7').length, 1);
  const again = splitSpam([...messages].reverse());
  for (const k of ['train', 'dev', 'test'] as const)
    assert.deepEqual(
      again[k].map((m) => m.id).sort((a, b) => a - b),
      s[k].map((m) => m.id).sort((a, b) => a - b),
    );
  // another seed, another split of the same sizes
  const other = splitSpam(messages, { seed: 1 });
  assert.equal(distinct(other.test, 'hard-ham-1'), 6);
  assert.notDeepEqual(
    other.test.map((m) => m.id),
    s.test.map((m) => m.id),
  );
  assert.throws(() => splitSpam(messages, { dev: 0.5, test: 0.5 }), /dev \+ test must be below 1, received 0.5 \+ 0.5/);
});
