/**
 * The variable interpolation docker compose applies to a compose file's values: `$$` for a literal
 * dollar, `$NAME`, `${NAME}`, and `${NAME<op>word}` with the operators :- - :? ? :+ +. A default
 * that holds another reference (`${A:-${B}}`) is refused rather than guessed at: this repository's
 * compose file needs none, and a check that misreads one would pass on a file compose rejects.
 */

const REFERENCE = /\$(?:(\$)|\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g;
const BRACED = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:-|-|:\?|\?|:\+|\+)(.*))?$/s;

type Operator = ':-' | '-' | ':?' | '?' | ':+' | '+';

interface Reference {
  name: string;
  operator?: Operator;
  word?: string;
}

export class InterpolationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InterpolationError';
  }
}

function parseBraced(inner: string, text: string): Reference {
  const match = BRACED.exec(inner);
  if (!match) throw new InterpolationError(`invalid interpolation "\${${inner}}" in "${text}"`);
  const [, name, operator, word] = match as unknown as [string, string, Operator | undefined, string | undefined];
  if (word?.includes('$')) throw new InterpolationError(`a reference inside "\${${inner}}" (in "${text}") is not supported`);
  return operator === undefined ? { name } : { name, operator, word: word ?? '' };
}

/** Every reference in one value, in order; `$$` is not one. */
function references(text: string): Reference[] {
  return [...text.matchAll(REFERENCE)].flatMap(([, escaped, braced, bare]): Reference[] => {
    if (escaped !== undefined) return [];
    if (braced !== undefined) return [parseBraced(braced, text)];
    return [{ name: bare ?? '' }];
  });
}

/** The names of the variables a value reads. */
export function referencedVariables(text: string): string[] {
  return references(text).map((reference) => reference.name);
}

function substitute(reference: Reference, variables: Readonly<Record<string, string>>, text: string): string {
  const value = variables[reference.name];
  const word = reference.word ?? '';
  switch (reference.operator) {
    case undefined:
      // compose substitutes an empty string for an unset variable (and warns).
      return value ?? '';
    case ':-':
      return value === undefined || value === '' ? word : value;
    case '-':
      return value ?? word;
    case ':?':
      if (value === undefined || value === '') throw new InterpolationError(`${reference.name} is required in "${text}": ${word}`);
      return value;
    case '?':
      if (value === undefined) throw new InterpolationError(`${reference.name} is required in "${text}": ${word}`);
      return value;
    case ':+':
      return value === undefined || value === '' ? '' : word;
    case '+':
      return value === undefined ? '' : word;
  }
}

/** One value with its references replaced, as compose replaces them. */
export function interpolate(text: string, variables: Readonly<Record<string, string>>): string {
  return text.replace(REFERENCE, (whole: string, escaped: string | undefined, braced: string | undefined, bare: string | undefined) => {
    if (escaped !== undefined) return '$';
    const reference = braced !== undefined ? parseBraced(braced, text) : { name: bare ?? whole };
    return substitute(reference, variables, text);
  });
}

/** Every string value of a parsed YAML document (not its keys, which compose leaves alone), mapped. */
export function mapStrings(value: unknown, map: (text: string) => string): unknown {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((item: unknown) => mapStrings(item, map));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapStrings(item, map)]));
  }
  return value;
}

/** Every string value of a parsed YAML document. */
export function allStrings(value: unknown): string[] {
  const found: string[] = [];
  mapStrings(value, (text) => {
    found.push(text);
    return text;
  });
  return found;
}
