import type { TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../../identity/types.js';
import type { Rewording } from './errors.js';

/** One `POST /api/v2/apps/{owner}/{app}<path>` route: its document, and the translation it does. */
export interface AppsRoute {
  path: string;
  summary: string;
  description: string;
  body?: TSchema;
  bearer?: boolean;
  response: Record<number, TSchema>;
  /** How this route words the domain errors it can meet (see reworded). */
  words?: Rewording;
  handler: (ctx: { app: App; request: FastifyRequest; reply: FastifyReply }) => Promise<FastifyReply>;
}
