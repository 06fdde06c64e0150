import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';

/**
 * The contract layer: every answer the test helpers see is checked against the
 * OpenAPI document the server itself serves. The status must be documented for the
 * path and method, and a JSON body must validate against the documented schema, or
 * the request throws (failing the test that made it).
 *
 * Not part of the document, and checked by rule instead: the docs page itself
 * (`/docs…`, `/openapi.json`), a known path with another method (405 in the HTTP
 * error shape), an unknown path (404 in the HTTP error shape; under the feathers
 * dialect's `/auth/` and `/authentication/`, Feathers' NotFound instead).
 */
export class ContractViolation extends Error {
  override name = 'ContractViolation';
}

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

interface Document {
  paths: Record<string, Record<string, Operation>>;
}

const DOC_ID = 'urn:latchkey:openapi';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const EXEMPT = [/^\/docs(\/|$)/, /^\/openapi\.json$/];
/** The feathers dialect's own path families: an unknown path there is Feathers' NotFound. */
const FEATHERS_FAMILIES = /^\/(auth|authentication)\//;
const FEATHERS_NOT_FOUND = {
  type: 'object',
  properties: {
    name: { const: 'NotFound' },
    message: { type: 'string' },
    code: { const: 404 },
    className: { const: 'not-found' },
    errors: { type: 'object' },
  },
  required: ['name', 'message', 'code', 'className', 'errors'],
  additionalProperties: false,
};

export class Contract {
  private readonly ajv: InstanceType<typeof Ajv2020>;
  private readonly paths: Array<{ template: string; pattern: RegExp }>;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly doc: Document) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    this.ajv.addFormat('date-time', {
      type: 'string',
      validate: (v: string) =>
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v) && !Number.isNaN(Date.parse(v)),
    });
    // An OpenAPI int64 (PrincipalToken's WSID): Latchkey keeps every one below 2^53, exact in any JSON client.
    this.ajv.addFormat('int64', { type: 'number', validate: (v: number) => Number.isSafeInteger(v) });
    // The whole document is one schema resource, so `#/components/schemas/…` refs resolve in place.
    this.ajv.addSchema({ ...doc, $id: DOC_ID });
    this.paths = Object.keys(doc.paths).map((template) => ({
      template,
      pattern: new RegExp(
        `^${template
          .split(/\{[^}]+\}/)
          .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('[^/]+')}$`,
      ),
    }));
  }

  /** Fetches the served document once per server. */
  static async of(app: FastifyInstance): Promise<Contract> {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    if (res.statusCode !== 200) throw new Error(`GET /openapi.json answered ${res.statusCode}`);
    return new Contract(res.json() as Document);
  }

  check(options: InjectOptions | string, res: LightMyRequestResponse): void {
    const method = (typeof options === 'string' ? 'GET' : (options.method ?? 'GET')).toLowerCase();
    const url = typeof options === 'string' ? options : (options.url ?? options.path ?? '/');
    const path = String(typeof url === 'string' ? url : url.pathname).split('?')[0]!;
    if (EXEMPT.some((re) => re.test(path))) return;
    const where = `${method.toUpperCase()} ${path} → ${res.statusCode}`;
    const template = this.paths.find((p) => p.pattern.test(path))?.template;
    if (template === undefined) {
      if (FEATHERS_FAMILIES.test(path) && this.isFeathersNotFound(res)) return;
      this.expectHttpError(where, res, 404);
      return;
    }
    const item = this.doc.paths[template]!;
    // HEAD answers like GET, without a body.
    const operation = item[method] ?? (method === 'head' ? item['get'] : undefined);
    if (!operation) {
      if (METHODS.includes(method)) this.expectHttpError(where, res, 405);
      return;
    }
    const status = String(res.statusCode);
    const response = operation.responses?.[status] ?? operation.responses?.['default'];
    if (!response) {
      throw new ContractViolation(
        `${where}: status not documented (documented: ${Object.keys(operation.responses ?? {}).join(', ')}); body: ${res.body.slice(0, 500)}`,
      );
    }
    if (method === 'head') return;
    const answered = String(res.headers['content-type'] ?? '');
    // An answer documented both ways (the activation link: JSON, or a page for a browser) is checked as what it is.
    if (/^text\/html/.test(answered) && response.content?.['text/html']) return;
    const media = response.content?.['application/json'];
    if (!media && response.content?.['text/plain']) {
      if (!/^text\/plain/.test(String(res.headers['content-type'] ?? ''))) {
        throw new ContractViolation(`${where}: documented as text, answered ${res.headers['content-type']}`);
      }
      return;
    }
    // Hosted pages: documented as HTML, answered as HTML (the markup itself is tested by their suites).
    if (!media && response.content?.['text/html']) {
      if (!/^text\/html/.test(String(res.headers['content-type'] ?? ''))) {
        throw new ContractViolation(`${where}: documented as HTML, answered ${res.headers['content-type']}`);
      }
      return;
    }
    if (!media) {
      if (res.body.length > 0)
        throw new ContractViolation(`${where}: body not documented: ${res.body.slice(0, 500)}`);
      return;
    }
    if (!/^application\/json/.test(String(res.headers['content-type'] ?? ''))) {
      throw new ContractViolation(`${where}: documented as JSON, answered ${res.headers['content-type']}`);
    }
    const key = `#/paths/${pointer(template)}/${method}/responses/${status}/content/application~1json/schema`;
    this.validate(where, key, res);
  }

  private expectHttpError(where: string, res: LightMyRequestResponse, status: number): void {
    if (res.statusCode !== status) {
      throw new ContractViolation(`${where}: not in the document, so only ${status} may answer`);
    }
    this.validate(where, '#/components/schemas/HttpError', res);
  }

  private isFeathersNotFound(res: LightMyRequestResponse): boolean {
    if (res.statusCode !== 404) return false;
    try {
      return this.ajv.validate(FEATHERS_NOT_FOUND, JSON.parse(res.body));
    } catch {
      return false;
    }
  }

  private validate(where: string, key: string, res: LightMyRequestResponse): void {
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.getSchema(`${DOC_ID}${key}`);
      if (!validate) throw new ContractViolation(`${where}: no schema at ${key}`);
      this.compiled.set(key, validate);
    }
    let body: unknown;
    try {
      body = JSON.parse(res.body);
    } catch {
      throw new ContractViolation(`${where}: body is not JSON: ${res.body.slice(0, 200)}`);
    }
    if (!validate(body)) {
      throw new ContractViolation(
        `${where}: body does not match the documented schema: ${this.ajv.errorsText(validate.errors, { separator: '; ' })}\nbody: ${res.body.slice(0, 1000)}`,
      );
    }
  }
}

function pointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Wraps an inject so that every answer is checked against the contract (fetched lazily, once). */
export function contractInject(
  app: FastifyInstance,
): (options: InjectOptions) => Promise<LightMyRequestResponse> {
  let contract: Promise<Contract> | null = null;
  return async (options) => {
    const res = await app.inject(options);
    contract ??= Contract.of(app);
    (await contract).check(options, res);
    return res;
  };
}
