import { type TSchema, Type } from '@sinclair/typebox';

const exact = { additionalProperties: false } as const;

/** Request bodies, as documented; the handlers check them themselves to answer in the reference's shapes. */
export const LoginBody = Type.Object({
  email: Type.String({ minLength: 1, maxLength: 320, description: 'Email address (or username)' }),
  password: Type.String({ minLength: 1, maxLength: 4096 }),
});

export const AliasBody = Type.Object({
  userName: Type.String({ minLength: 1, maxLength: 400, description: 'The user name in this survey' }),
  password: Type.String({ minLength: 1, maxLength: 4096 }),
  surveyId: Type.String({ minLength: 1, maxLength: 64 }),
});

export const TokenBody = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 512, description: 'The login-link secret' }),
});

export const VerifyBody = Type.Object({
  sigResponse: Type.String({
    minLength: 1,
    maxLength: 16384,
    description: 'The hosted MFA page’s answer (single use, short-lived)',
  }),
});

export const Message = Type.Object({ message: Type.String() }, exact);

export const AccessToken = Type.Object(
  { accessToken: Type.String({ description: 'A short-lived `spa-access` JWT for `Authorization: Bearer`' }) },
  exact,
);

export const MfaChallenge = Type.Object(
  {
    mfa: Type.Object(
      {
        request: Type.String({ description: 'A signed challenge (≤ 5 min) bound to this user and sign-in' }),
        host: Type.String({ description: 'The hosted MFA page to send the browser to' }),
      },
      exact,
    ),
  },
  exact,
);

export const ValidationErrors = Type.Object(
  {
    success: Type.Literal(false),
    errors: Type.Record(
      Type.String(),
      Type.Object(
        {
          value: Type.Optional(Type.Unknown({ description: 'The value sent (never for a password)' })),
          msg: Type.String(),
          param: Type.String(),
          location: Type.Literal('body'),
        },
        exact,
      ),
    ),
  },
  { ...exact, description: 'express-validator’s mapped errors, as the reference answers them' },
);

const message = (description: string) => Type.Unsafe({ ...Message, description });

/** Statuses every spa POST can answer besides its own. */
export const COMMON: Record<number, TSchema> = {
  400: message('Malformed JSON'),
  403: message('Cross-site request, or a body that is not JSON'),
  413: message('Body larger than the configured limit'),
  500: message('Internal error'),
  503: message('Overloaded or storage unavailable; see Retry-After'),
};

export const SIGN_IN_RESPONSES: Record<number, TSchema> = {
  200: Type.Union([AccessToken, MfaChallenge], {
    description: '`{accessToken}` plus the refresh cookie; or, for a user with MFA, only `{mfa}`',
  }),
  401: message('Provided credentials do not match our records (every failure alike)'),
  429: message('Throttled; see Retry-After'),
  ...COMMON,
};

export const PREFLIGHT_RESPONSES: Record<number, TSchema> = {
  204: Type.Null({ description: 'CORS preflight of an allowed origin' }),
  403: message('Origin not allowed'),
};
