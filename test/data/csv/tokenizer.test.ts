import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemGuardFormatError } from '../../../src/errors.js';
import { CsvTokenizer } from '../../../src/data/csv/tokenizer.js';
import { throwsTyped } from '../../helpers.js';

const t = suite('data/csv/tokenizer');

function tokenize(text: string, chunk: number): Array<[string[], number]> {
  const out: Array<[string[], number]> = [];
  const tok = new CsvTokenizer((f, line) => out.push([f, line]));
  for (let i = 0; i < text.length; i += chunk) tok.push(text.slice(i, i + chunk));
  tok.end();
  return out;
}

t('tokenizer: quotes, escaped quotes, CRLF, newlines inside quotes, blank lines, BOM', () => {
  const text = '\uFEFFa,"b,c",d\r\n"x ""y""",,"multi\nline"\r\n\r\n\n1,2,3';
  const expected: Array<[string[], number]> = [
    [['a', 'b,c', 'd'], 1],
    [['x "y"', '', 'multi\nline'], 2],
    [['1', '2', '3'], 6],
  ];
  // Any chunking gives the same records with the same line numbers.
  for (const size of [1, 2, 3, 5, 7, 1000]) assert.equal(tokenize(text, size), expected, `chunk size ${size}`);
});

t('tokenizer errors carry the line', () => {
  throwsTyped(() => tokenize('a,b\n"open,c\n', 4), MemGuardFormatError, /line 2: unterminated quoted field/);
  throwsTyped(() => tokenize('a,b\nx,"q"z\n', 4), MemGuardFormatError, /line 2: unexpected "z" after a closing quote/);
  throwsTyped(() => tokenize('a,b\nx,ab"c\n', 4), MemGuardFormatError, /line 2: a quote inside an unquoted field/);
});

t.run();
