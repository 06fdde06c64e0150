import { type AppService, parseAppQName } from '../identity/apps.js';
import type { UserRepository } from '../identity/ports.js';
import { type App, appQName } from '../identity/types.js';
import type { SessionService } from '../session/index.js';
import type { Clock } from '../shared/clock.js';
import { LatchkeyError } from '../shared/errors.js';
import type { AppDirectory } from './directory.js';
import type { ProfileRepository, TenantRepository } from './ports.js';
import type { ProvisioningWorker } from './provisioning.js';
import type { Job, JobStatus } from './types.js';

export interface AppSummary extends App {
  isDefault: boolean;
}

/** Operators' view of tenants: create, list, remove apps; inspect and retry provisioning. */
export class TenancyService {
  constructor(
    private readonly apps: AppService,
    private readonly defaultApp: App,
    private readonly directory: AppDirectory,
    private readonly tenants: TenantRepository,
    private readonly profiles: ProfileRepository,
    private readonly users: UserRepository,
    private readonly sessions: SessionService,
    private readonly worker: ProvisioningWorker,
    private readonly clock: Clock,
  ) {}

  async create(qname: string): Promise<App> {
    parseAppQName(qname);
    if (await this.apps.find(qname)) throw new LatchkeyError('conflict', `app ${qname} already exists`);
    return this.apps.ensure(qname);
  }

  async list(): Promise<AppSummary[]> {
    return (await this.apps.list()).map((app) => ({ ...app, isDefault: app.id === this.defaultApp.id }));
  }

  /** The app named `owner/app`; not_found when there is none. */
  async get(qname: string): Promise<App> {
    const app = await this.apps.find(qname);
    if (!app) throw new LatchkeyError('not_found', `app ${qname} does not exist`);
    return app;
  }

  /**
   * Removes an app and everything in it: its users (with their sessions, emails,
   * grants and factors), roles, permissions, profiles, jobs, codes and queued mail.
   * Sessions are revoked first, so the app's tokens stop working at once everywhere.
   */
  async remove(qname: string): Promise<void> {
    const app = await this.get(qname);
    if (app.id === this.defaultApp.id)
      throw new LatchkeyError('conflict', `app ${qname} is the default app and cannot be removed`);
    let afterId: string | undefined;
    for (;;) {
      const page = await this.users.list(app.id, { limit: 500, ...(afterId ? { afterId } : {}) });
      for (const user of page) await this.sessions.endAllBeforeDeletion(user.id, 'app_removed');
      if (page.length < 500) break;
      afterId = page.at(-1)!.id;
    }
    this.directory.evict(app);
    await this.tenants.removeApp(app.id);
    this.directory.evict(app);
  }

  listJobs(app: App, status?: JobStatus): Promise<Array<Job & { login: string }>> {
    return this.profiles.listJobs(app.id, { ...(status ? { status } : {}), limit: 500 });
  }

  /** Queues a failed provisioning again; not_found / conflict (not failed) otherwise. */
  async retry(app: App, jobId: string): Promise<Job & { login: string }> {
    if (!(await this.profiles.retryJob(app.id, jobId, this.clock.now()))) {
      const job = await this.profiles.findJob(app.id, jobId);
      if (!job) throw new LatchkeyError('not_found', `job ${jobId} does not exist in ${appQName(app)}`);
      throw new LatchkeyError('conflict', `job ${jobId} is ${job.status}, not failed`);
    }
    this.worker.kick();
    const job = (await this.profiles.findJob(app.id, jobId))!;
    const profile = await this.profiles.findProfile(app.id, job.userId);
    return { ...job, login: profile?.login ?? '' };
  }
}
