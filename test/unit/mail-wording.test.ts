import assert from 'node:assert/strict';
import { test } from 'node:test';
import { humanDuration, renderTemplate } from '../../src/mail/templates.js';

test('mail lifetimes read as people say them, never 2880 minutes', () => {
  const cases: Array<[number, string]> = [
    [1, '1 minute'],
    [15, '15 minutes'],
    [60, '1 hour'],
    [90, '1 hour and 30 minutes'],
    [180, '3 hours'],
    [1440, '24 hours'],
    [2880, '2 days'],
    [10080, '7 days'],
    [2900, '48 hours and 20 minutes'],
  ];
  for (const [minutes, words] of cases) assert.equal(humanDuration(minutes), words, String(minutes));
  const mail = renderTemplate('activation', {
    appName: 'latchkey',
    link: 'https://x/activate',
    expiresInMinutes: 2880,
  });
  assert.equal(mail.subject, 'Activate your latchkey account');
  assert.match(mail.text, /It expires in 2 days and works once\./);
});
