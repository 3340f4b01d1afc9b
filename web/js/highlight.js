// A small tokenizer-based syntax highlighter for the generated files: one scanner driven by a
// per-language table (keywords, comment and string syntax). Its output is a list of tokens that
// the viewer turns into text nodes inside <span class="tok-…">, never HTML strings.
// Pure (tests/browser/unit/highlight.test.mjs).

const words = (text) => new Set(text.split(/\s+/).filter(Boolean));

const C_LIKE = { line: ['//'], block: [['/*', '*/']], strings: ['"', "'"] };

const LANGUAGES = {
  rust: {
    ...C_LIKE,
    strings: ['"'],
    keywords: words(`as async await break const continue crate dyn else enum extern false fn for if impl in let loop match
      mod move mut pub ref return self Self static struct super trait true type unsafe use where while`),
  },
  python: {
    line: ['#'],
    block: [['"""', '"""'], ["'''", "'''"]],
    strings: ['"', "'"],
    keywords: words(`and as assert async await break class continue def del elif else except False finally for from global
      if import in is lambda None nonlocal not or pass raise return True try while with yield`),
  },
  javascript: {
    ...C_LIKE,
    strings: ['"', "'", '`'],
    keywords: words(`async await break case catch class const continue debugger default delete do else export extends
      false finally for from function if import in instanceof let new null of return static super switch this throw
      true try typeof undefined var void while with yield interface type enum implements`),
  },
  json: { strings: ['"'], keywords: words('true false null'), keys: true },
  toml: { line: ['#'], strings: ['"', "'"], keywords: words('true false'), keys: true },
  yaml: { line: ['#'], strings: ['"', "'"], keywords: words('true false null yes no on off'), keys: true },
  shell: {
    line: ['#'],
    strings: ['"', "'"],
    keywords: words('if then else elif fi for in do done while case esac function return export local set exit echo'),
  },
  css: { block: [['/*', '*/']], strings: ['"', "'"], keywords: words('') },
  html: { block: [['<!--', '-->']], strings: ['"', "'"], keywords: words(''), tags: true },
  markdown: { strings: [], keywords: words(''), markdown: true },
  plain: { strings: [], keywords: words('') },
};

const EXTENSIONS = {
  rs: 'rust', py: 'python', js: 'javascript', mjs: 'javascript', cjs: 'javascript', jsx: 'javascript',
  ts: 'javascript', tsx: 'javascript', json: 'json', toml: 'toml', yml: 'yaml', yaml: 'yaml', sh: 'shell',
  bash: 'shell', css: 'css', html: 'html', htm: 'html', md: 'markdown', lock: 'toml', cfg: 'toml', ini: 'toml',
};

/** The language of a file by its name ("src/main.rs" → "rust"; "Dockerfile" → "shell"). */
export function languageFor(path) {
  const name = String(path ?? '').split('/').pop().toLowerCase();
  if (name === 'dockerfile' || name === 'makefile' || name.startsWith('.env')) return 'shell';
  if (name === '.gitignore') return 'shell';
  const ext = name.includes('.') ? name.split('.').pop() : '';
  return EXTENSIONS[ext] ?? 'plain';
}

const NUMBER = /[0-9][0-9_]*(\.[0-9_]+)?([eE][+-]?[0-9]+)?[a-z0-9]*/y;
const WORD = /[A-Za-z_$][A-Za-z0-9_$]*/y;
const SPACE = /\s+/y;

function match(re, text, at) {
  re.lastIndex = at;
  const m = re.exec(text);
  return m ? m[0] : null;
}

/** Where a string opened by `quote` at `at` ends (after the closing quote; escapes honoured). */
function stringEnd(text, at, quote) {
  let i = at + quote.length;
  while (i < text.length) {
    if (text[i] === '\\') i += 2;
    else if (text.startsWith(quote, i)) return i + quote.length;
    else if (text[i] === '\n' && quote !== '`') return i;
    else i += 1;
  }
  return text.length;
}

/**
 * Tokens of `text` in `language`: [{type, text}], types `keyword`, `string`, `comment`, `number`,
 * `type` (a capitalised name), `key` (a JSON/TOML/YAML key), `tag`, `heading`, `punct`, `plain`.
 * Concatenating the texts gives back the input exactly.
 */
export function tokenize(text, language = 'plain') {
  const lang = LANGUAGES[language] ?? LANGUAGES.plain;
  const tokens = [];
  const push = (type, value) => {
    if (!value) return;
    const last = tokens[tokens.length - 1];
    if (last && last.type === type) last.text += value;
    else tokens.push({ type, text: value });
  };
  const source = String(text ?? '');
  let i = 0;
  let lineStart = true;
  outer: while (i < source.length) {
    if (lang.markdown && lineStart) {
      const end = source.indexOf('\n', i) === -1 ? source.length : source.indexOf('\n', i);
      const line = source.slice(i, end);
      if (/^#{1,6}\s/.test(line)) {
        push('heading', line);
        i = end;
        continue;
      }
      if (/^```/.test(line)) {
        push('comment', line);
        i = end;
        continue;
      }
    }
    const space = match(SPACE, source, i);
    if (space) {
      push('plain', space);
      i += space.length;
      lineStart = space.includes('\n') ? true : lineStart;
      continue;
    }
    lineStart = false;
    for (const [open, close] of lang.block ?? []) {
      if (source.startsWith(open, i)) {
        const end = source.indexOf(close, i + open.length);
        const stop = end === -1 ? source.length : end + close.length;
        push(open.startsWith('"') || open.startsWith("'") ? 'string' : 'comment', source.slice(i, stop));
        i = stop;
        continue outer;
      }
    }
    for (const marker of lang.line ?? []) {
      if (source.startsWith(marker, i)) {
        const end = source.indexOf('\n', i);
        const stop = end === -1 ? source.length : end;
        push('comment', source.slice(i, stop));
        i = stop;
        continue outer;
      }
    }
    for (const quote of lang.strings ?? []) {
      if (source.startsWith(quote, i)) {
        const stop = stringEnd(source, i, quote);
        const value = source.slice(i, stop);
        const isKey = lang.keys && /^\s*:/.test(source.slice(stop, stop + 4));
        push(isKey ? 'key' : 'string', value);
        i = stop;
        continue outer;
      }
    }
    if (lang.tags && source[i] === '<') {
      const tag = /<\/?[A-Za-z][A-Za-z0-9-]*/y;
      const found = match(tag, source, i);
      if (found) {
        push('tag', found);
        i += found.length;
        continue;
      }
    }
    const number = match(NUMBER, source, i);
    if (number) {
      push('number', number);
      i += number.length;
      continue;
    }
    const word = match(WORD, source, i);
    if (word) {
      const after = source.slice(i + word.length).match(/^\s*([:=])/);
      if (lang.keywords.has(word)) push('keyword', word);
      else if (lang.keys && after && (language !== 'toml' || after[1] === '=')) push('key', word);
      else if (/^[A-Z][a-z0-9]/.test(word) && language !== 'markdown' && language !== 'plain') push('type', word);
      else push('plain', word);
      i += word.length;
      continue;
    }
    push(/[{}()[\];,.:=<>+\-*/%&|!?^~@#]/.test(source[i]) && language !== 'plain' && language !== 'markdown' ? 'punct' : 'plain', source[i]);
    i += 1;
  }
  return tokens;
}
