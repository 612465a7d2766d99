/**
 * Synthetic sequence tasks with a known answer, for checking that a model and its attention
 * work before spending hours on real data. Every task is seeded (the library's xoshiro
 * Generator): the same options give the same examples on every machine.
 */
import { Generator } from '../tensor/random.js';

export interface Example {
  source: string[];
  target: string[];
}

export interface SequenceTaskOptions {
  /** How many examples. */
  n: number;
  /** Symbols to draw from, one token each. Default the ten digits. */
  alphabet?: readonly string[];
  /** Lengths are uniform in [minLength, maxLength]. */
  minLength: number;
  maxLength: number;
  seed?: number;
}

function checkCount(task: string, name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new Error(`${task}: ${name} must be an integer >= ${min}, received ${v}`);
}

function randomSequences(task: string, options: SequenceTaskOptions): string[][] {
  const { n, minLength, maxLength, seed = 0 } = options;
  const alphabet = options.alphabet ?? ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
  checkCount(task, 'n', n, 0);
  checkCount(task, 'minLength', minLength, 1);
  checkCount(task, 'maxLength', maxLength, minLength);
  if (alphabet.length === 0) throw new Error(`${task}: alphabet must not be empty, received []`);
  const g = new Generator(seed);
  const out: string[][] = [];
  for (let i = 0; i < n; i++) {
    const len = minLength + g.int(maxLength - minLength + 1);
    out.push(Array.from({ length: len }, () => alphabet[g.int(alphabet.length)]));
  }
  return out;
}

/** target = source. */
export function copyTask(options: SequenceTaskOptions): Example[] {
  return randomSequences('copyTask', options).map((s) => ({ source: s, target: [...s] }));
}

/** target = source reversed: the first output token depends on the last input, so a model without attention must carry the whole input in one vector. */
export function reverseTask(options: SequenceTaskOptions): Example[] {
  return randomSequences('reverseTask', options).map((s) => ({ source: s, target: [...s].reverse() }));
}

export interface DateTaskOptions {
  n: number;
  seed?: number;
  /** Years are drawn uniformly by day in [minYear, maxYear]. Default 1950–2049, the range two-digit years cover. */
  minYear?: number;
  maxYear?: number;
}

export interface DateExample extends Example {
  /** The format's name, for error analysis by format. */
  format: string;
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

interface Ymd {
  y: number;
  m: number;
  d: number;
  wd: number;
}

const p2 = (x: number): string => String(x).padStart(2, '0');
const yy = (y: number): string => p2(y % 100);
function ordinal(d: number): string {
  const suffix =
    d % 10 === 1 && d !== 11 ? 'st' : d % 10 === 2 && d !== 12 ? 'nd' : d % 10 === 3 && d !== 13 ? 'rd' : 'th';
  return `${d}${suffix}`;
}

/**
 * The ways a date is written. Conventions, so each string has exactly one answer:
 * slashes are US month-first (03/14/2021), dots European day-first (14.03.2021); a two-digit
 * year means 1950–2049 (the default range), so "Wed 3 Mar 21" is 2021.
 */
export const DATE_FORMATS: Record<string, (t: Ymd) => string> = {
  'd Month yyyy': (t) => `${t.d} ${MONTHS[t.m - 1]} ${t.y}`,
  'month d, yyyy': (t) => `${MONTHS[t.m - 1].toLowerCase()} ${t.d}, ${t.y}`,
  'Month d, yyyy': (t) => `${MONTHS[t.m - 1]} ${t.d}, ${t.y}`,
  'mm/dd/yyyy': (t) => `${p2(t.m)}/${p2(t.d)}/${t.y}`,
  'dd.mm.yyyy': (t) => `${p2(t.d)}.${p2(t.m)}.${t.y}`,
  'Wkd d Mon yy': (t) => `${DAYS[t.wd].slice(0, 3)} ${t.d} ${MONTHS[t.m - 1].slice(0, 3)} ${yy(t.y)}`,
  'Weekday, Month d, yyyy': (t) => `${DAYS[t.wd]}, ${MONTHS[t.m - 1]} ${t.d}, ${t.y}`,
  'dth of Month yyyy': (t) => `${ordinal(t.d)} of ${MONTHS[t.m - 1]} ${t.y}`,
  'd mon yyyy': (t) => `${t.d} ${MONTHS[t.m - 1].slice(0, 3).toLowerCase()} ${t.y}`,
  'MONTH d yyyy': (t) => `${MONTHS[t.m - 1].toUpperCase()} ${t.d} ${t.y}`,
  'yyyy-mm-dd': (t) => `${t.y}-${p2(t.m)}-${p2(t.d)}`,
};

const DAY_MS = 86_400_000;

/** One date in every format, with its ISO answer (for tests and demos). */
export function formatDate(year: number, month: number, day: number): { iso: string; forms: Record<string, string> } {
  const ms = Date.UTC(year, month - 1, day);
  const date = new Date(ms);
  if (
    !(year >= 1000 && year <= 9999) ||
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day
  ) {
    throw new Error(`formatDate: expected a real date, received ${year}-${month}-${day}`);
  }
  const t = { y: year, m: month, d: day, wd: date.getUTCDay() };
  const forms: Record<string, string> = {};
  for (const [name, f] of Object.entries(DATE_FORMATS)) forms[name] = f(t);
  return { iso: DATE_FORMATS['yyyy-mm-dd'](t), forms };
}

/**
 * Dates written many ways → ISO 8601 (yyyy-mm-dd); tokens are characters. Formats are drawn
 * uniformly; the two-digit-year format only when the years lie within 1950–2049.
 */
export function dateTask(options: DateTaskOptions): DateExample[] {
  const { n, seed = 0, minYear = 1950, maxYear = 2049 } = options;
  checkCount('dateTask', 'n', n, 0);
  checkCount('dateTask', 'minYear', minYear, 1000);
  checkCount('dateTask', 'maxYear', maxYear, minYear);
  if (maxYear > 9999) throw new Error(`dateTask: maxYear must be at most 9999, received ${maxYear}`);
  // a two-digit year is only unambiguous inside 1950–2049
  const names = Object.keys(DATE_FORMATS).filter((f) => !f.endsWith(' yy') || (minYear >= 1950 && maxYear <= 2049));
  const first = Date.UTC(minYear, 0, 1) / DAY_MS;
  const days = Date.UTC(maxYear + 1, 0, 1) / DAY_MS - first;
  const g = new Generator(seed);
  const out: DateExample[] = [];
  for (let i = 0; i < n; i++) {
    const date = new Date((first + g.int(days)) * DAY_MS);
    const t = { y: date.getUTCFullYear(), m: date.getUTCMonth() + 1, d: date.getUTCDate(), wd: date.getUTCDay() };
    const format = names[g.int(names.length)];
    out.push({
      source: Array.from(DATE_FORMATS[format](t)),
      target: Array.from(DATE_FORMATS['yyyy-mm-dd'](t)),
      format,
    });
  }
  return out;
}
