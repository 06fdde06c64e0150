import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppSummary, Job } from '../../apps/index.js';
import { appQName } from '../../identity/types.js';
import type { Services } from '../../services.js';
import { errorResponses } from './schemas.js';

const iso = (ms: number) => new Date(ms).toISOString();
const NAME = '^[a-z0-9][a-z0-9_.-]{0,63}$';

const AdminApp = Type.Object({
  id: Type.String(),
  app: Type.String({ description: '`owner/app`' }),
  owner: Type.String(),
  name: Type.String(),
  isDefault: Type.Boolean({ description: 'The rpc dialect’s app; the apps dialect does not serve it' }),
  createdAt: Type.String(),
});

const AdminJob = Type.Object({
  id: Type.String(),
  login: Type.String(),
  userId: Type.String(),
  kind: Type.String(),
  status: Type.Union([
    Type.Literal('pending'),
    Type.Literal('running'),
    Type.Literal('done'),
    Type.Literal('failed'),
  ]),
  attempts: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

const AppParams = Type.Object({
  owner: Type.String({ pattern: NAME }),
  name: Type.String({ pattern: NAME }),
});

function presentApp(app: AppSummary) {
  return {
    id: app.id,
    app: appQName(app),
    owner: app.owner,
    name: app.name,
    isDefault: app.isDefault,
    createdAt: iso(app.createdAt),
  };
}

function presentJob(job: Job & { login?: string }) {
  return {
    id: job.id,
    login: job.login ?? '',
    userId: job.userId,
    kind: job.kind,
    status: job.status,
    attempts: job.attempts,
    lastError: job.lastError,
    createdAt: iso(job.createdAt),
    updatedAt: iso(job.updatedAt),
  };
}

/** Tenants: create, list and remove apps; see and retry the provisioning of profile workspaces. */
export function registerAdminApps(app: FastifyInstance, services: Services): void {
  const tenancy = services.appsCore.tenancy;
  const qnameOf = (params: unknown) => {
    const { owner, name } = params as { owner: string; name: string };
    return `${owner}/${name}`;
  };

  app.get(
    '/apps',
    {
      schema: {
        summary: 'List the apps (tenants)',
        response: { 200: Type.Object({ apps: Type.Array(AdminApp) }), ...errorResponses },
      },
    },
    async () => ({ apps: (await tenancy.list()).map(presentApp) }),
  );

  app.post(
    '/apps',
    {
      schema: {
        summary: 'Create an app (tenant)',
        body: Type.Object(
          { app: Type.String({ minLength: 3, maxLength: 129, description: '`owner/app`, lowercase' }) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ app: AdminApp }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const created = await tenancy.create((request.body as { app: string }).app);
      return reply.status(201).send({ app: presentApp({ ...created, isDefault: false }) });
    },
  );

  app.delete(
    '/apps/:owner/:name',
    {
      schema: {
        summary:
          'Remove an app and everything in it (users, sessions, profiles, …); its tokens stop working at once',
        params: AppParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await tenancy.remove(qnameOf(request.params));
      return reply.status(204).send();
    },
  );

  app.get(
    '/apps/:owner/:name/jobs',
    {
      schema: {
        summary: "The provisioning jobs of an app's profile workspaces",
        params: AppParams,
        querystring: Type.Object(
          {
            status: Type.Optional(
              Type.Union([
                Type.Literal('pending'),
                Type.Literal('running'),
                Type.Literal('done'),
                Type.Literal('failed'),
              ]),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ jobs: Type.Array(AdminJob) }), ...errorResponses },
      },
    },
    async (request) => {
      const target = await tenancy.get(qnameOf(request.params));
      const { status } = request.query as { status?: Job['status'] };
      return { jobs: (await tenancy.listJobs(target, status)).map(presentJob) };
    },
  );

  app.post(
    '/apps/:owner/:name/jobs/:id/retry',
    {
      schema: {
        summary: 'Queue a failed provisioning again',
        params: Type.Object({ ...AppParams.properties, id: Type.String({ pattern: '^[0-9a-f]{24}$' }) }),
        response: { 200: Type.Object({ job: AdminJob }), ...errorResponses },
      },
    },
    async (request) => {
      const target = await tenancy.get(qnameOf(request.params));
      const job = await tenancy.retry(target, (request.params as { id: string }).id);
      return { job: presentJob(job) };
    },
  );
}
