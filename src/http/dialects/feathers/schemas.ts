import { Type } from '@sinclair/typebox';
import { PASSWORD_MAX_LENGTH } from '../../../identity/passwords.js';

const exact = { additionalProperties: false } as const;
/** Feathers clients send what their forms hold; fields Latchkey does not know are ignored, as Feathers does. */
const open = { additionalProperties: true } as const;

const Id = Type.String({
  pattern: '^[0-9a-f]{24}$',
  description: '24 hex characters (an ObjectId in shape)',
});
const DateTime = Type.String({ format: 'date-time' });
const Email = Type.String({ minLength: 1, maxLength: 254 });
const Password = Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH });
const Token = Type.String({ maxLength: 16_384 });

const SecondFactor = Type.Object(
  {
    type: Type.String({ maxLength: 32, description: '`TOTP` or `RECOVERY_CODE`' }),
    token: Type.String({ maxLength: 256 }),
  },
  {
    ...exact,
    description: 'Only for users with MFA: the second factor, sent with the password (Latchkey extension)',
  },
);

export const LoginBody = Type.Object(
  {
    email: Type.Optional({ ...Email, description: 'Required, with `password`, to sign in' }),
    password: Type.Optional(Password),
    secondaryAuthFactor: Type.Optional(SecondFactor),
    token: Type.Optional({
      ...Token,
      description: 'Without email and password: re-authenticate with this token, as `/auth/token` does',
    }),
  },
  { ...open, title: 'Local login' },
);

export const TokenBody = Type.Object(
  {
    token: Type.Optional({
      ...Token,
      description:
        'The token to exchange; wins over the Authorization header (as in feathers-authentication 0.7)',
    }),
  },
  { ...open, title: 'Token re-authentication' },
);

export const TokenQuery = Type.Object(
  { token: Type.Optional({ ...Token, description: 'Last resort; prefer the header (URLs end up in logs)' }) },
  open,
);

export const AuthenticationBody = Type.Object(
  {
    strategy: Type.Optional(Type.String({ maxLength: 64, description: '`local` or `jwt`' })),
    email: Type.Optional(Email),
    password: Type.Optional(Password),
    accessToken: Type.Optional(Token),
    secondaryAuthFactor: Type.Optional(SecondFactor),
  },
  { ...open, title: 'Feathers authentication' },
);

export const SignupBody = Type.Object(
  {
    email: Email,
    password: Type.String({ maxLength: PASSWORD_MAX_LENGTH }),
    redirect: Type.Optional(
      Type.String({
        maxLength: 2048,
        description: 'Where the activation link sends the browser; must be on an allowed origin',
      }),
    ),
  },
  { ...open, title: 'Sign-up' },
);

export const ActivateQuery = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 256 }),
    redirect: Type.Optional(Type.String({ maxLength: 2048 })),
  },
  open,
);

export const IdParam = Type.Object({ id: Type.String({ maxLength: 16_384 }) });

/** `data`/`user`: the user without secrets, as Edumaps presents it. */
export const FeathersUser = Type.Object(
  {
    _id: Id,
    username: Type.String({ description: 'The email address (Edumaps assigns it)' }),
    email: Type.String(),
    createdAt: DateTime,
    updatedAt: DateTime,
    belongsTo: Type.Array(Type.Object({ domain: Type.String(), domainId: Id }, exact), {
      description: 'The orgs of the email domains the user has verified addresses at',
    }),
    integrations: Type.Array(Type.Object({ _id: Id, name: Type.String(), createdAt: DateTime }, exact), {
      description: 'Services enabled for the user (managed through the admin API)',
    }),
  },
  { ...exact, title: 'Feathers user' },
);

export const TokenResult = Type.Object(
  { token: Type.String({ description: 'EdDSA JWT (`typ: feathers-access+jwt`)' }), data: FeathersUser },
  { ...exact, title: 'Token and user' },
);

/** The claims of a feathers access token, as `authentication.payload` shows them. */
export const TokenPayload = Type.Object(
  {
    iss: Type.String(),
    aud: Type.String(),
    sub: Id,
    _id: Id,
    jti: Id,
    sid: Type.String({ description: 'The session; signing out ends every token of it' }),
    iat: Type.Integer(),
    exp: Type.Integer(),
    amr: Type.Optional(
      Type.Array(Type.String(), {
        description:
          'How the user signed in (RFC 8176): `["pwd"]`, or `["pwd","otp","mfa"]` with a second factor',
      }),
    ),
  },
  exact,
);

export const AuthenticationResult = Type.Object(
  {
    accessToken: Type.String(),
    authentication: Type.Object(
      {
        strategy: Type.Union([Type.Literal('local'), Type.Literal('jwt')]),
        accessToken: Type.Optional(Type.String()),
        payload: TokenPayload,
      },
      exact,
    ),
    user: FeathersUser,
  },
  { ...exact, title: 'Authentication result' },
);

export const SignupResult = Type.Object(
  {
    activationEmailSent: Type.Literal(true, {
      description: 'Always true: the answer never tells whether the address already had an account',
    }),
    data: Type.Object({ email: Type.String() }, exact),
  },
  { ...exact, title: 'Sign-up accepted' },
);

export const ActivateResult = Type.Object(
  { activated: Type.Literal(true), data: Type.Object({ email: Type.String() }, exact) },
  { ...exact, title: 'Account activated' },
);
