/**
 * Finds where JSON text first breaks the grammar, for error reports only: V8's JSON.parse messages
 * on Node 20 do not always give a position. Runs only after JSON.parse has failed.
 *
 *   value  = object | array | string | number | 'true' | 'false' | 'null'
 *   object = '{' [ string ':' value { ',' string ':' value } ] '}'
 *   array  = '[' [ value { ',' value } ] ']'
 *
 * Iterative (an explicit stack), so deeply nested input cannot overflow the call stack.
 */

export interface TextPosition {
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units. */
  column: number;
}

const numberPattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const literalPattern = /true|false|null/y;
const escapePattern = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

/** The offset of the first syntax error, or -1 when the grammar holds. */
export function jsonSyntaxErrorOffset(text: string): number {
  const closers: string[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const match = (pattern: RegExp) => {
    pattern.lastIndex = i;
    if (!pattern.test(text)) return false;
    i = pattern.lastIndex;
    return true;
  };
  const string = () => {
    if (text[i] !== '"') return false;
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) return false;
      if (text[i] !== '\\') i++;
      else if (!match(escapePattern)) return false;
    }
    if (i === text.length) return false;
    i++;
    return true;
  };
  const key = () => {
    skipSpace();
    if (!string()) return false;
    skipSpace();
    if (text[i] !== ':') return false;
    i++;
    return true;
  };
  for (;;) {
    skipSpace();
    const opener = text[i];
    if (opener === '{' || opener === '[') {
      i++;
      skipSpace();
      const closer = opener === '{' ? '}' : ']';
      if (text[i] === closer) i++;
      else {
        closers.push(closer);
        if (closer === '}' && !key()) return i;
        continue;
      }
    } else if (!(string() || match(numberPattern) || match(literalPattern))) {
      return i;
    }
    // After a value: a separator, a closer or the end.
    for (;;) {
      skipSpace();
      const closer = closers.at(-1);
      if (closer === undefined) return i === text.length ? -1 : i;
      if (text[i] === closer) {
        closers.pop();
        i++;
        continue;
      }
      if (text[i] !== ',') return i;
      i++;
      if (closer === '}' && !key()) return i;
      break;
    }
  }
}

export function positionAt(text: string, offset: number): TextPosition {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
