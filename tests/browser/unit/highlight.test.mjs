import { test } from 'node:test';
import assert from 'node:assert/strict';
import { languageFor, tokenize } from '../../../web/js/highlight.js';

const of = (tokens, type) => tokens.filter((t) => t.type === type).map((t) => t.text);

test('languages by file name', () => {
  assert.equal(languageFor('src/main.rs'), 'rust');
  assert.equal(languageFor('app/main.py'), 'python');
  assert.equal(languageFor('web/App.tsx'), 'javascript');
  assert.equal(languageFor('Cargo.toml'), 'toml');
  assert.equal(languageFor('.github/workflows/ci.yml'), 'yaml');
  assert.equal(languageFor('Dockerfile'), 'shell');
  assert.equal(languageFor('README.md'), 'markdown');
  assert.equal(languageFor('LICENSE'), 'plain');
});

test('tokens join back into the exact input', () => {
  const samples = [
    ['fn main() {\n    let x = "a \\" b"; // hi\n}\n', 'rust'],
    ['def f():\n    """doc"""\n    return 1.5  # c\n', 'python'],
    ['{"a": [1, true, null], "b": "x"}', 'json'],
    ['const s = `multi\nline`; /* c */', 'javascript'],
    ['# Title\n\nText `code`\n', 'markdown'],
    ['unterminated "string', 'rust'],
    ['', 'plain'],
  ];
  for (const [text, lang] of samples) assert.equal(tokenize(text, lang).map((t) => t.text).join(''), text, lang);
});

test('rust: keywords, strings, comments, numbers and types', () => {
  const tokens = tokenize('pub fn add(a: u32) -> Option<u32> { // sum\n    Some(a + 1_000) }\nlet s = "fn";', 'rust');
  assert.deepEqual(of(tokens, 'keyword'), ['pub', 'fn', 'let']);
  assert.deepEqual(of(tokens, 'comment'), ['// sum']);
  assert.deepEqual(of(tokens, 'number'), ['1_000']);
  assert.deepEqual(of(tokens, 'type'), ['Option', 'Some']);
  assert.deepEqual(of(tokens, 'string'), ['"fn"'], 'a keyword inside a string stays a string');
});

test('python: docstrings and comments', () => {
  const tokens = tokenize('"""Doc with def"""\nfrom x import y  # note\n', 'python');
  assert.deepEqual(of(tokens, 'string'), ['"""Doc with def"""']);
  assert.deepEqual(of(tokens, 'keyword'), ['from', 'import']);
  assert.deepEqual(of(tokens, 'comment'), ['# note']);
});

test('json, toml and yaml keys', () => {
  assert.deepEqual(of(tokenize('{"name": "lib", "n": 2}', 'json'), 'key'), ['"name"', '"n"']);
  assert.deepEqual(of(tokenize('[package]\nname = "lib"\n', 'toml'), 'key'), ['name']);
  assert.deepEqual(of(tokenize('on:\n  push: true\n', 'yaml'), 'key'), ['push']);
});

test('markdown headings', () => {
  assert.deepEqual(of(tokenize('# Title\ntext\n## Sub', 'markdown'), 'heading'), ['# Title', '## Sub']);
});
