// The TurboWarp extension gallery's checks (TurboWarp/extensions: development/validate.js and
// builder.js for the metadata header, eslint.config.js for the lint rules, development/
// parse-extension-translations.js for the string extractor), re-implemented over an ESTree AST
// because ESLint and the gallery's plug-in are not installed here. The AST comes from rolldown's
// parser (oxc), which vitest already brings in (vitest → vite → rolldown). Each rule says which
// gallery selector it stands for. Read for facts from the gallery repository; no code copied.
import { parseAst } from 'rolldown/parseAst';

// biome-ignore lint/suspicious/noExplicitAny: ESTree nodes of every kind
export type Node = { type: string; start: number; end: number; [key: string]: any };

export interface Problem {
  rule: string;
  message: string;
  at: number;
}

export function parse(code: string): Node {
  return parseAst(code) as unknown as Node;
}

/** Every node, with its parent. */
export function* walk(node: Node, parent: Node | null = null): Generator<[Node, Node | null]> {
  yield [node, parent];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'parent') continue;
    if (Array.isArray(value)) {
      for (const child of value) if (child && typeof child.type === 'string') yield* walk(child, node);
    } else if (value && typeof value === 'object' && typeof value.type === 'string') yield* walk(value, node);
  }
}

const isName = (node: Node | undefined, name: string) => node?.type === 'Identifier' && node.name === name;
/** `object.property` with plain names (not computed). */
const isMember = (node: Node | undefined, object: string, property: string) =>
  node?.type === 'MemberExpression' && !node.computed && isName(node.object, object) && isName(node.property, property);

/** The gallery's eslint rules for extensions (eslint.config.js, files: extensions/**), on a whole file. */
export function lint(program: Node): Problem[] {
  const problems: Problem[] = [];
  const report = (rule: string, node: Node, message: string) => problems.push({ rule, message, at: node.start });

  // extension/iife: "Program > :not(ExpressionStatement[expression.type=CallExpression][expression.callee.type=/FunctionExpression/])"
  for (const statement of program.body as Node[])
    if (
      !(
        statement.type === 'ExpressionStatement' &&
        statement.expression.type === 'CallExpression' &&
        /FunctionExpression/.test(statement.expression.callee.type)
      )
    )
      report('extension/iife', statement, 'All extension code must be within (function (Scratch) { ... })(Scratch);');

  // strict: ["error", "function"]: "use strict" opening the outer function, nowhere else.
  const outer = (program.body as Node[])[0]?.expression?.callee as Node | undefined;
  const directives = [...walk(program)].filter(([node]) => node.type === 'ExpressionStatement' && node.directive === 'use strict');
  if (outer?.body?.body?.[0]?.directive !== 'use strict') report('strict', program, 'the wrapper function must start with "use strict"');
  for (const [node, parent] of directives) if (parent !== outer?.body) report('strict', node, "Unnecessary 'use strict' directive");

  const declared = new Set<string>();
  for (const [node] of walk(program)) {
    // extension/no-new-syntax
    if (node.type === 'AssignmentExpression' && node.operator === '??=') report('extension/no-new-syntax', node, 'x ??= y syntax is too new');
    if (isMember(node, 'Object', 'hasOwn')) report('extension/no-new-syntax', node, 'Object.hasOwn(...) is too new');
    // extension/no-xmlhttprequest, extension/check-can-fetch
    if (node.type === 'NewExpression' && isName(node.callee, 'XMLHttpRequest'))
      report('extension/no-xmlhttprequest', node, 'Use Scratch.fetch() instead of XMLHttpRequest');
    for (const name of ['WebSocket', 'Image', 'Audio'])
      if (node.type === 'NewExpression' && isName(node.callee, name))
        report('extension/check-can-fetch', node, `new ${name}(...): check await Scratch.canFetch(url) first (a disable comment cannot survive minifying)`);
    // extension/use-scratch-vm, -fetch, -open-window, -redirect
    if (isMember(node, 'window', 'vm')) report('extension/use-scratch-vm', node, 'Use Scratch.vm instead of window.vm');
    if (node.type === 'CallExpression' && (isName(node.callee, 'fetch') || isMember(node.callee, 'window', 'fetch')))
      report('extension/use-scratch-fetch', node, 'Use Scratch.fetch() instead of fetch()');
    if (node.type === 'CallExpression' && (isName(node.callee, 'open') || isMember(node.callee, 'window', 'open')))
      report('extension/use-scratch-open-window', node, 'Use Scratch.openWindow() instead of open()');
    if (node.type === 'AssignmentExpression') {
      const left = node.left as Node;
      if (
        isName(left, 'location') ||
        isMember(left, 'location', 'href') ||
        isMember(left, 'window', 'location') ||
        (left.type === 'MemberExpression' && isMember(left.object, 'window', 'location') && isName(left.property, 'href'))
      )
        report('extension/use-scratch-redirect', node, 'Use Scratch.redirect()');
    }
    if (node.type === 'CallExpression' && node.callee.type === 'MemberExpression' && ['assign', 'replace'].includes(node.callee.property?.name)) {
      const object = node.callee.object as Node;
      if (isName(object, 'location') || isMember(object, 'window', 'location')) report('extension/use-scratch-redirect', node, 'Use Scratch.redirect()');
    }
    // extension/no-translate-setup
    if (
      node.type === 'CallExpression' &&
      node.callee.type === 'MemberExpression' &&
      isMember(node.callee.object, 'Scratch', 'translate') &&
      isName(node.callee.property, 'setup')
    )
      report('extension/no-translate-setup', node, 'Do not call Scratch.translate.setup() yourself');
    // extension/no-translate-alias
    if (
      (node.type === 'VariableDeclarator' && isMember(node.init, 'Scratch', 'translate')) ||
      (node.type === 'AssignmentExpression' && isMember(node.right, 'Scratch', 'translate'))
    )
      report('extension/no-translate-alias', node, 'Do not store Scratch.translate in a variable');
    // extension/should-not-translate: id, opcode and docsURI are never translated
    if (
      node.type === 'Property' &&
      ['id', 'opcode', 'docsURI'].includes(node.key?.name) &&
      node.value?.type === 'CallExpression' &&
      isName(node.value.callee?.property, 'translate')
    )
      report('extension/should-not-translate', node, `Do not translate ${node.key.name}`);
    // eslint recommended + the gallery's extra core rules that can matter in a bundle
    if (node.type === 'CallExpression' && isName(node.callee, 'eval')) report('no-eval', node, 'eval can be harmful');
    if ((node.type === 'NewExpression' || node.type === 'CallExpression') && isName(node.callee, 'Function'))
      report('no-new-func', node, 'The Function constructor is eval');
    if (
      node.type === 'CallExpression' &&
      ['setTimeout', 'setInterval'].some((n) => isName(node.callee, n)) &&
      node.arguments[0]?.type === 'Literal' &&
      typeof node.arguments[0].value === 'string'
    )
      report('no-implied-eval', node, 'Implied eval: pass a function');
    if (node.type === 'Literal' && typeof node.value === 'string' && /^\s*javascript:/i.test(node.value))
      report('no-script-url', node, 'Script URL is a form of eval');
    for (const binding of bindingsOf(node)) declared.add(binding);
  }
  // no-restricted-globals (vm): `vm` used but never declared anywhere in the file is the global.
  if (!declared.has('vm'))
    for (const [node, parent] of walk(program))
      if (
        isName(node, 'vm') &&
        !(parent?.type === 'MemberExpression' && parent.property === node && !parent.computed) &&
        !(parent?.type === 'Property' && parent.key === node)
      )
        report('no-restricted-globals', node, 'Use Scratch.vm instead of the global vm object');
  return problems;
}

/** Names a node declares (variables, functions, classes, parameters, catch clauses). */
function bindingsOf(node: Node): string[] {
  const names: string[] = [];
  const pattern = (p: Node | null | undefined) => {
    if (!p) return;
    if (p.type === 'Identifier') names.push(p.name);
    else if (p.type === 'ObjectPattern') for (const prop of p.properties) pattern(prop.type === 'RestElement' ? prop.argument : prop.value);
    else if (p.type === 'ArrayPattern') for (const element of p.elements) pattern(element);
    else if (p.type === 'AssignmentPattern') pattern(p.left);
    else if (p.type === 'RestElement') pattern(p.argument);
  };
  if (node.type === 'VariableDeclarator') pattern(node.id);
  if (/Function|Class/.test(node.type) && node.id) pattern(node.id);
  if (/Function/.test(node.type)) for (const param of node.params) pattern(param);
  if (node.type === 'CatchClause') pattern(node.param);
  return names;
}

/** Every name declared anywhere in the file, with how often. */
export function declarations(program: Node): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [node] of walk(program)) for (const name of bindingsOf(node)) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

/**
 * The gallery's string extractor: every `Scratch.translate(...)` call, its first argument evaluated
 * at build time (a string literal, or an object literal of literals); anything else fails its build.
 * Returns the English texts by id (the default id is '_' + the text), or throws like the gallery does.
 */
export function extractStrings(program: Node): Map<string, string> {
  const strings = new Map<string, string>();
  const evaluate = (node: Node): unknown => {
    if (node.type === 'Literal') return node.value;
    if (node.type === 'ObjectExpression')
      return Object.fromEntries(node.properties.map((p: Node) => [p.key.type === 'Identifier' ? p.key.name : evaluate(p.key), evaluate(p.value)]));
    throw new Error(`Can't evaluate ${node.type} node at build-time (at ${node.start})`);
  };
  for (const [node] of walk(program)) {
    if (node.type !== 'CallExpression' || !isMember(node.callee, 'Scratch', 'translate')) continue;
    if (node.arguments.length === 0) throw new Error('Scratch.translate() needs at least 1 argument');
    const value = evaluate(node.arguments[0]);
    if (typeof value === 'string') strings.set(`_${value}`, value);
    else if (typeof value === 'object' && value !== null && typeof (value as { default?: unknown }).default === 'string') {
      const { id, default: english } = value as { id?: string; default: string };
      strings.set(id ?? `_${english}`, english);
    } else throw new Error(`Not a valid argument for Scratch.translate(): ${String(value)}`);
  }
  return strings;
}

export interface Metadata {
  id?: string;
  name?: string;
  description?: string;
  license?: string;
  by: string[];
}

/** The header, read as the gallery's parse-extension-metadata.js reads it: `// Key: value` lines until the first non-comment line. */
export function metadataOf(code: string): Metadata {
  const metadata: Metadata = { by: [] };
  for (const line of code.split('\n')) {
    if (!line.startsWith('//')) break;
    const text = line.slice(2).trim();
    const colon = text.indexOf(':');
    if (colon < 0) continue;
    const key = text.slice(0, colon).trim().toLowerCase();
    const value = text.slice(colon + 1).trim();
    if (key === 'by') metadata.by.push(value);
    else if (key === 'id' || key === 'name' || key === 'description' || key === 'license') metadata[key] = value;
  }
  return metadata;
}

/** The gallery's validation of that header (development/builder.js, ExtensionFile.validate). */
export function validateMetadata(metadata: Metadata): string[] {
  const errors: string[] = [];
  if (!metadata.id) errors.push('Missing // ID:');
  if (!metadata.name) errors.push('Missing // Name:');
  if (!metadata.description) errors.push('Missing // Description:');
  else if (!/[.!?]$/.test(metadata.description)) errors.push(`Description is missing punctuation: ${metadata.description}`);
  // The gallery parses the expression with spdx-expression-parse (not installed): here, one of the
  // plain SPDX ids its CONTRIBUTING.md names or that are FSF-free and OSI-approved.
  if (!metadata.license) errors.push('Missing // License:');
  else if (!['MIT', 'MPL-2.0', 'Apache-2.0', 'BSD-3-Clause', 'ISC', 'LGPL-3.0-only', 'GPL-3.0-only', 'GPL-3.0-or-later'].includes(metadata.license))
    errors.push(`${metadata.license} is not one of the SPDX ids this check knows`);
  if (metadata.by.length === 0) errors.push('Missing credits. Add a // By: or // Original: comment to the header.');
  for (const person of metadata.by) {
    const link = /<([^>]*)>/.exec(person)?.[1];
    if (link && !link.startsWith('https://scratch.mit.edu/users/')) errors.push(`Link for ${person} does not point to a Scratch user`);
  }
  return errors;
}
