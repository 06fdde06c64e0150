export type { MailMessage, MailTransport, OutboxMessage, OutboxRepository } from './ports.js';
export { MailService, type MailSettings, retryDelayMs } from './service.js';
export { renderTemplate, type TemplateName, type TemplateVars } from './templates.js';
export { LogTransport, SmtpTransport } from './transports.js';
