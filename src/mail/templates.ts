/** The mails Latchkey sends. Links are built from the configured public URL, never from a request's Host header. */
export type TemplateName =
  | 'password-reset'
  | 'email-verification'
  | 'invitation'
  | 'activation'
  | 'email-code';

export interface TemplateVars {
  appName: string;
  link?: string;
  code?: string;
  expiresInMinutes?: number;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function render(subject: string, lines: string[], action?: { label: string; link: string }): RenderedMail {
  const text = [...lines, ...(action ? ['', `${action.label}: ${action.link}`] : [])].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    ...lines.map((l) => `<p>${escapeHtml(l)}</p>`),
    action ? `<p><a href="${escapeHtml(action.link)}">${escapeHtml(action.label)}</a></p>` : '',
    '</body></html>',
  ].join('');
  return { subject, text, html };
}

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** A lifetime as people say it: `15 minutes`, `3 hours`, `2 days`, `1 hour and 30 minutes` (never `2880 minutes`). */
export function humanDuration(minutes: number): string {
  if (minutes >= 2 * 1440 && minutes % 1440 === 0) return plural(minutes / 1440, 'day');
  if (minutes < 60) return plural(minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? plural(hours, 'hour') : `${plural(hours, 'hour')} and ${plural(rest, 'minute')}`;
}

function expiry(vars: TemplateVars): string {
  return vars.expiresInMinutes
    ? `It expires in ${humanDuration(vars.expiresInMinutes)} and works once.`
    : 'It works once.';
}

export function renderTemplate(name: TemplateName, vars: TemplateVars): RenderedMail {
  const link = vars.link ?? '';
  switch (name) {
    case 'password-reset':
      return render(
        `Reset your ${vars.appName} password`,
        [
          'Someone asked to reset the password of this account. If it was not you, ignore this message.',
          expiry(vars),
        ],
        { label: 'Choose a new password', link },
      );
    case 'email-verification':
      return render(
        `Verify your email address for ${vars.appName}`,
        ['Confirm that this address is yours.', expiry(vars)],
        {
          label: 'Verify this address',
          link,
        },
      );
    case 'invitation':
      return render(`You are invited to ${vars.appName}`, ['You have been invited to join.', expiry(vars)], {
        label: 'Accept the invitation',
        link,
      });
    case 'activation':
      return render(
        `Activate your ${vars.appName} account`,
        ['Welcome! Activate your account to sign in.', expiry(vars)],
        {
          label: 'Activate your account',
          link,
        },
      );
    case 'email-code':
      return render(`Your ${vars.appName} verification code: ${vars.code ?? ''}`, [
        `Your verification code is ${vars.code ?? ''}.`,
        expiry(vars),
      ]);
  }
}
