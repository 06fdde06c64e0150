import { type TSchema, Type } from '@sinclair/typebox';

const exact = { additionalProperties: false } as const;

/** The reference's error object as its code answers it: the HTTP status and a message. */
const AppsError = Type.Object(
  {
    status: Type.Integer({ minimum: 400, maximum: 599, description: 'The HTTP status, repeated' }),
    message: Type.String({ description: 'Empty for 429 (as in the reference); see Retry-After' }),
  },
  exact,
);

const DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed body, a missing, empty or mistyped field, or an unknown `{owner}/{app}`',
  401: 'Credentials or token refused',
  409: 'Conflict',
  413: 'Body larger than the configured limit',
  415: 'Content type other than application/json',
  429: 'Throttled; see Retry-After',
  500: 'Internal error',
  503: 'Overloaded or storage unavailable; see Retry-After',
};

/** The error object for each status, with a description (overridable per route). */
export function appsErrors(
  statuses: number[],
  overrides: Record<number, string> = {},
): Record<number, TSchema> {
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      Type.Unsafe({ ...AppsError, description: overrides[s] ?? DESCRIPTIONS[s] ?? 'Error' }),
    ]),
  );
}

export const Params = Type.Object({
  owner: Type.String({ description: 'The owner of the application' }),
  app: Type.String({ description: 'The name of the application' }),
});

// Request bodies: documented here; each route reads its body itself, with the reference's messages.
const SecondFactor = Type.Object(
  {
    type: Type.String({
      description:
        '`TOTP` or `RECOVERY_CODE` at sign-in; `PASSWORD` or `TOTP` to confirm a change (eject, recovery codes)',
    }),
    token: Type.String({ description: 'The code (or the password)' }),
  },
  { description: 'A second factor (Latchkey extension, as in the rpc and feathers dialects)' },
);

export const LoginBody = Type.Object({
  login: Type.String(),
  password: Type.String(),
  secondaryAuthFactor: Type.Optional({
    ...SecondFactor,
    description:
      'Only for logins with MFA (Latchkey extension): `{"type": "TOTP" | "RECOVERY_CODE", "token": "<code>"}`, sent with the password',
  }),
});

export const SignUpBody = Type.Object({
  verifiedEmailToken: Type.String({ description: 'From `POST …/users/email-code/verify`' }),
  password: Type.String({ minLength: 8, maxLength: 1024 }),
  displayName: Type.String({ minLength: 1 }),
});

export const SignUpResult = Type.Object(
  {
    currentWLogOffset: Type.Integer({ description: 'Always 0: Latchkey keeps no workspace log' }),
    newIDs: Type.Record(Type.String(), Type.String(), {
      description: '`{"1": <id of the new login>}` (a Latchkey id, not a numeric record id)',
    }),
  },
  exact,
);

export const ChangePasswordBody = Type.Object({
  login: Type.String(),
  oldPassword: Type.String(),
  newPassword: Type.String({ minLength: 8, maxLength: 1024 }),
  secondaryAuthFactor: Type.Optional({
    ...SecondFactor,
    description:
      'Only for logins with MFA (Latchkey extension): `{"type": "TOTP" | "RECOVERY_CODE", "token": "<code>"}`, sent with the old password',
  }),
});

export const EmailCodeBody = Type.Object({
  email: Type.String({ description: 'The address to prove; it becomes the login, so it must be lowercase' }),
});

export const EmailCodeResult = Type.Object(
  {
    verificationToken: Type.String({ description: 'Send it back with the mailed code' }),
    expiresInSeconds: Type.Integer({ description: 'How long the code works (600)' }),
  },
  exact,
);

export const EmailCodeVerifyBody = Type.Object({
  verificationToken: Type.String(),
  code: Type.String({ description: 'The 6 digits from the mail' }),
});

export const VerifiedEmailResult = Type.Object(
  {
    verifiedEmailToken: Type.String({ description: 'For `POST …/users`; single sign-up, 10 minutes' }),
    expiresInSeconds: Type.Integer(),
  },
  exact,
);

export const DeviceResult = Type.Object(
  {
    login: Type.String({ description: '`device` and 26 characters of a-z2-7' }),
    password: Type.String({ description: '26 characters of a-z2-7' }),
  },
  exact,
);

export const Empty = Type.Null({ description: 'Done; the body is empty' });

// MFA (Latchkey extension): a login manages its own second factor with its principal token.

export const FactorBody = Type.Object(
  {
    secondaryAuthFactor: Type.Optional({
      ...SecondFactor,
      description: 'A current factor of the login: its password or a TOTP code. Required.',
    }),
  },
  { description: 'Without the factor, the answer (401) lists the types that would do' },
);

export const TotpEnrollResult = Type.Object(
  {
    secret: Type.String({ description: 'The base32 TOTP secret (32 characters), shown once' }),
    otpauthUri: Type.String({ description: 'The `otpauth://totp/…` URI authenticator apps take' }),
    qrcode: Type.String({ description: 'A PNG data URL (`data:image/png;base64,…`) of the URI' }),
    expiresInSeconds: Type.Integer({ description: 'How long the enrolment waits for activation (900)' }),
  },
  { ...exact, description: 'A pending TOTP enrolment' },
);

export const TotpActivateBody = Type.Object({
  secret: Type.String({ description: 'The secret of `…/auth/mfa/totp/enroll`' }),
  code: Type.String({ description: 'A current 6-digit code of the authenticator' }),
});

export const RecoveryCodesResult = Type.Object(
  {
    recoveryCodes: Type.Array(Type.String(), {
      minItems: 10,
      maxItems: 10,
      description: 'Ten single-use codes, shown once; earlier ones stop working',
    }),
  },
  exact,
);
