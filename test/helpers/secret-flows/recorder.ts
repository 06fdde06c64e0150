import assert from 'node:assert/strict';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { TemplateVars } from '../../../src/mail/index.js';
import type { TestServer } from '../server.js';

/** A test server whose queued mails the flows can read (see test/apps/support.ts startAppsServer). */
export type FlowServer = TestServer & { mails: Array<{ appId: string; to: string; vars: TemplateVars }> };

/** One request of a flow and its answer, with the route it exercised as the API document names it. */
export interface Exchange {
  /** `METHOD /template`, e.g. `POST /api/v2/apps/{owner}/{app}/auth/login`. */
  operation: string;
  res: LightMyRequestResponse;
}

/**
 * Runs requests for the secret-bearing flows and keeps every answer (for the HTTP
 * hygiene checks) and every secret value a flow saw (for the secrets-at-rest checks).
 */
export class Recorder {
  readonly exchanges: Exchange[] = [];
  readonly secrets: Record<string, string> = {};

  constructor(readonly server: FlowServer) {}

  async send(operation: string, options: InjectOptions): Promise<LightMyRequestResponse> {
    const res = await this.server.inject(options);
    this.exchanges.push({ operation, res });
    return res;
  }

  /** A JSON POST that must answer `status`; returns the parsed body. */
  async post(
    operation: string,
    url: string,
    body: unknown,
    status: number,
    headers: Record<string, string> = {},
  ): Promise<{ body: Record<string, unknown>; res: LightMyRequestResponse }> {
    const res = await this.send(operation, {
      method: 'POST',
      url,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    assert.equal(res.statusCode, status, `${operation}: ${res.body.slice(0, 500)}`);
    return { body: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {}, res };
  }

  /** Remembers a secret the dump and the logs must never hold. */
  secret(name: string, value: unknown): string {
    assert.equal(typeof value, 'string', `${name} is a string`);
    // Short values would match by accident (a 6-digit code inside a timestamp).
    assert.ok((value as string).length >= 12, `${name} is long enough to search for: ${String(value)}`);
    this.secrets[name] = value as string;
    return value as string;
  }

  /** A JWT's signature: the part that makes it a credential (header and claims may be stored). */
  jwt(name: string, token: unknown): string {
    assert.equal(typeof token, 'string', `${name} is a string`);
    const parts = (token as string).split('.');
    assert.equal(parts.length, 3, `${name} is a JWT`);
    this.secret(`${name} signature`, parts[2]);
    return token as string;
  }

  /**
   * The newest mail to an address, e.g. to follow its link. Some mails are queued only
   * once the answer has left (so timing says nothing about the account): wait, boundedly.
   */
  async mailTo(address: string): Promise<TemplateVars> {
    const deadline = Date.now() + 15_000;
    while (!this.server.mails.some((m) => m.to === address) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const mail = this.server.mails.findLast((m) => m.to === address);
    assert.ok(mail, `a mail to ${address}`);
    return mail.vars;
  }
}

/** The value of a Set-Cookie of an answer, or undefined. */
export function cookieValue(res: LightMyRequestResponse, name: string): string | undefined {
  return (res.cookies as Array<{ name: string; value: string }>).find((c) => c.name === name)?.value;
}
