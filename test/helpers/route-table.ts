import type { FastifyInstance } from 'fastify';

/**
 * The server's routes as its own API document lists them, so that a suite driven by
 * this table covers a new route without being told about it.
 */
export interface Operation {
  method: string;
  /** As documented: `/api/v2/apps/{owner}/{app}/auth/login`. */
  template: string;
  /** A concrete path for the template (placeholder parameters). */
  path: string;
  tags: string[];
  /** Names of 2xx JSON body properties that carry a credential or one-time secret. */
  secretFields: string[];
  /** Some 2xx answer is an HTML page. */
  html: boolean;
}

/** Property names that name a credential (the served document is the only input). */
const SECRET_FIELD = /token|secret|password|sigresponse|recovery|credential/i;

const PLACEHOLDERS: Record<string, string> = {
  owner: 'hygiene',
  app: 'portal',
  id: '0123456789abcdef01234567',
  name: 'github',
};

type Schema = Record<string, unknown>;
interface Document {
  paths: Record<string, Record<string, Schema>>;
}

export async function routeTable(app: FastifyInstance): Promise<Operation[]> {
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  if (res.statusCode !== 200) throw new Error(`GET /openapi.json answered ${res.statusCode}`);
  const doc = res.json() as Document;
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const responses = (operation['responses'] ?? {}) as Record<
        string,
        { content?: Record<string, Schema> }
      >;
      const ok = Object.entries(responses).filter(([status]) => /^2/.test(status));
      operations.push({
        method: method.toUpperCase(),
        template,
        path: template.replace(/\{([^}]+)\}/g, (_all, name: string) => PLACEHOLDERS[name] ?? 'nope'),
        tags: (operation['tags'] as string[] | undefined) ?? [],
        secretFields: [
          ...new Set(
            ok.flatMap(([, r]) =>
              propertyNames(doc, r.content?.['application/json']?.['schema']).filter((n) =>
                SECRET_FIELD.test(n),
              ),
            ),
          ),
        ],
        html: ok.some(([, r]) => r.content?.['text/html'] !== undefined),
      });
    }
  }
  return operations;
}

/** Every property name a schema can hold, following `$ref`s, unions and arrays. */
function propertyNames(doc: Document, schema: unknown, seen = new Set<unknown>()): string[] {
  const s = resolve(doc, schema);
  if (s === null || typeof s !== 'object' || seen.has(s)) return [];
  seen.add(s);
  const node = s as Schema;
  const names: string[] = [];
  for (const [name, child] of Object.entries((node['properties'] ?? {}) as Schema)) {
    names.push(name, ...propertyNames(doc, child, seen));
  }
  for (const key of ['items', 'additionalProperties']) names.push(...propertyNames(doc, node[key], seen));
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    for (const child of (node[key] ?? []) as unknown[]) names.push(...propertyNames(doc, child, seen));
  }
  return names;
}

function resolve(doc: Document, schema: unknown): unknown {
  const ref = (schema as { $ref?: unknown } | null)?.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return schema;
  let node: unknown = doc;
  for (const part of ref.slice(2).split('/')) {
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}
