// A reader for the small part of YAML that compose.yaml uses, so its test needs no YAML package:
// block mappings and block sequences of scalars, plain / 'single' / "double" quoted scalars, comments,
// anchors on a mapping (`key: &name`), aliases (`*name`) and merge keys (`<<: *name`). Every scalar
// stays a string. Anything else (flow [..] / {..} collections, | and > blocks, tags, several documents,
// tabs) is refused with the line number, so the file stays inside what this reader checks.

export type YamlValue = string | null | YamlValue[] | { [key: string]: YamlValue };
export type YamlMap = { [key: string]: YamlValue };

interface Line {
  number: number;
  indent: number;
  text: string;
}

/** The line without its comment: a `#` at the start or after a space, outside quotes. */
function uncomment(raw: string): string {
  let quote: string | null = null;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || raw[i - 1] === ' ')) return raw.slice(0, i);
  }
  return raw;
}

function lines(source: string): Line[] {
  const out: Line[] = [];
  source.split('\n').forEach((raw, i) => {
    const number = i + 1;
    if (/^\t| \t/.test(raw)) throw new Error(`line ${number}: tabs are not allowed for indentation`);
    const text = uncomment(raw).trimEnd();
    if (text.trim() === '') return;
    if (text === '---' || text === '...') throw new Error(`line ${number}: one document only`);
    out.push({ number, indent: text.length - text.trimStart().length, text: text.trim() });
  });
  return out;
}

function scalar(text: string, line: number): string {
  if (text.startsWith('"')) {
    if (!text.endsWith('"') || text.length < 2) throw new Error(`line ${line}: unterminated "string"`);
    return JSON.parse(text) as string;
  }
  if (text.startsWith("'")) {
    if (!text.endsWith("'") || text.length < 2) throw new Error(`line ${line}: unterminated 'string'`);
    return text.slice(1, -1).replaceAll("''", "'");
  }
  if (/^[[{|>!%@`&*]/.test(text)) throw new Error(`line ${line}: ${JSON.stringify(text)} is outside the YAML this reader takes`);
  if (text.includes(': ') || text.endsWith(':')) throw new Error(`line ${line}: a mapping where a scalar was expected: ${JSON.stringify(text)}`);
  return text;
}

/** Splits `key: rest` (key plain or quoted). */
function keyValue(line: Line): [string, string] {
  const match = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s"'#][^:]*?):(?:\s+(.*))?$/.exec(line.text);
  if (!match) throw new Error(`line ${line.number}: expected "key: value", got ${JSON.stringify(line.text)}`);
  return [match[1] === '<<' ? '<<' : scalar(match[1], line.number), match[2] ?? ''];
}

class Reader {
  private at = 0;
  private readonly anchors = new Map<string, YamlValue>();

  constructor(private readonly all: Line[]) {}

  document(): YamlMap {
    if (this.all.length === 0) return {};
    const value = this.block(this.all[0].indent);
    if (this.at < this.all.length) throw new Error(`line ${this.all[this.at].number}: unexpected indentation`);
    if (Array.isArray(value)) throw new Error('the document must be a mapping');
    return value;
  }

  private block(indent: number): YamlMap | YamlValue[] {
    return this.all[this.at].text.startsWith('- ') || this.all[this.at].text === '-' ? this.sequence(indent) : this.mapping(indent);
  }

  private sequence(indent: number): YamlValue[] {
    const items: YamlValue[] = [];
    while (this.at < this.all.length && this.all[this.at].indent === indent && this.all[this.at].text.startsWith('- ')) {
      const line = this.all[this.at++];
      items.push(scalar(line.text.slice(2).trim(), line.number));
    }
    return items;
  }

  /** The value after `key:` — a scalar, an alias, or the block indented below (with an optional anchor). */
  private value(rest: string, line: Line, indent: number): YamlValue {
    if (rest.startsWith('*')) {
      const name = rest.slice(1);
      if (!this.anchors.has(name)) throw new Error(`line ${line.number}: unknown alias *${name}`);
      return this.anchors.get(name) as YamlValue;
    }
    const anchor = /^&([\w-]+)$/.exec(rest)?.[1];
    if (rest !== '' && !anchor) return scalar(rest, line.number);
    const next = this.all[this.at];
    const nested = next && next.indent > indent ? this.block(next.indent) : null;
    if (anchor) this.anchors.set(anchor, nested);
    return nested;
  }

  private mapping(indent: number): YamlMap {
    const map: YamlMap = {};
    const merged: YamlMap[] = [];
    while (this.at < this.all.length && this.all[this.at].indent === indent) {
      const line = this.all[this.at++];
      if (line.text.startsWith('- ')) throw new Error(`line ${line.number}: a sequence item inside a mapping`);
      const [key, rest] = keyValue(line);
      const value = this.value(rest, line, indent);
      if (key === '<<') {
        if (!rest.startsWith('*') || value === null || typeof value !== 'object' || Array.isArray(value))
          throw new Error(`line ${line.number}: << takes an alias of a mapping`);
        merged.push(value);
      } else {
        if (Object.hasOwn(map, key)) throw new Error(`line ${line.number}: duplicate key ${JSON.stringify(key)}`);
        map[key] = value;
      }
    }
    // Keys written in the mapping win over merged ones, whatever their order (YAML merge keys).
    return Object.assign({}, ...merged.reverse(), map);
  }
}

export function parseYaml(source: string): YamlMap {
  return new Reader(lines(source)).document();
}
