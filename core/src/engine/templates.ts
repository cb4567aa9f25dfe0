import type { Json } from '@piper/sdk';

// Global regexes carry lastIndex between uses; every use below starts from a fresh copy or resets it.
const TEMPLATE = /\{\{([\s\S]*?)\}\}/g;
const ANY_TEMPLATE = /\{\{[\s\S]*?\}\}/;
const WHOLE = /^\s*\{\{([\s\S]*?)\}\}\s*$/;

/** One string arg holding templates, and where it sits in the args. */
interface TemplateSite {
  path: Array<string | number>;
  text: string;
  /** The string is exactly one template: it takes the expression's value with its type. */
  whole: boolean;
  expressions: string[];
}

function hasTemplate(value: string): boolean {
  return ANY_TEMPLATE.test(value);
}

/** Top-level args whose schema says `"x-piper-raw": true` (code, for instance) are never templated. */
export function rawArgNames(schema: unknown): Set<string> {
  const properties = (schema as { properties?: Record<string, { 'x-piper-raw'?: boolean }> } | undefined)?.properties ?? {};
  return new Set(Object.entries(properties).filter(([, property]) => property?.['x-piper-raw'] === true).map(([name]) => name));
}

export function findTemplates(args: unknown, raw: Set<string> = new Set()): TemplateSite[] {
  const sites: TemplateSite[] = [];
  const walk = (value: unknown, path: Array<string | number>) => {
    if (typeof value === 'string') {
      if (!hasTemplate(value)) return;
      const whole = WHOLE.exec(value);
      const expressions = [...value.matchAll(new RegExp(TEMPLATE))].map((match) => match[1]!.trim());
      sites.push({ path, text: value, whole: Boolean(whole) && expressions.length === 1, expressions });
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => walk(item, [...path, index]));
    } else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (path.length === 0 && raw.has(key)) continue;
        walk(inner, [...path, key]);
      }
    }
  };
  walk(args, []);
  return sites;
}

/** JSON Pointer of a template site, as ajv reports instance paths. */
export function pointer(path: Array<string | number>): string {
  return path.map((part) => '/' + String(part).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

function asText(value: Json): string {
  if (value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export type Evaluator = (expressions: string[], scope: Record<string, Json>) => Promise<Json[]>;

/**
 * Fills in every `{{ expression }}` of the args, evaluating all of a node's expressions in one
 * sandbox call. The args are copied, never mutated.
 */
export async function resolveTemplates(args: Json, scope: Record<string, Json>, evaluate: Evaluator, raw: Set<string> = new Set()): Promise<Json> {
  const sites = findTemplates(args, raw);
  if (sites.length === 0) return args;
  const values = await evaluate(sites.flatMap((site) => site.expressions), scope);
  const resolved = structuredClone(args) as Json;
  let next = 0;
  for (const site of sites) {
    let value: Json;
    if (site.whole) {
      value = values[next++] ?? null;
    } else {
      value = site.text.replace(new RegExp(TEMPLATE), () => asText(values[next++] ?? null));
    }
    if (site.path.length === 0) return value;
    let parent = resolved as Record<string | number, Json>;
    for (const part of site.path.slice(0, -1)) parent = parent[part] as Record<string | number, Json>;
    parent[site.path[site.path.length - 1]!] = value;
  }
  return resolved;
}

/** The flat scope of expressions: the input's own fields, plus `$input`, `$nodes` and `$run`. */
export function expressionScope(input: Json, nodes: Record<string, Json>, run: Json): Record<string, Json> {
  const own = input !== null && typeof input === 'object' && !Array.isArray(input) ? input : {};
  return { ...own, $input: input, $nodes: nodes, $run: run };
}
