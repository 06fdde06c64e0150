import { type TSchema, Type } from '@sinclair/typebox';

const strict = { additionalProperties: false } as const;

function StringEnum<T extends string[]>(values: [...T]) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: values });
}

export const Id = Type.String({ pattern: '^[0-9a-f]{24}$', description: 'A 24-hex-character id' });
const Password = Type.String({
  minLength: 8,
  maxLength: 1024,
  description: 'Not trimmed, not truncated; 8–1024 characters',
});
const LoginPassword = Type.String({ minLength: 1, maxLength: 1024 });
const UserKey = Type.String({ minLength: 1, maxLength: 254, description: 'Username or email address' });
const Token = Type.String({ minLength: 1, maxLength: 10000 });
const FullName = Type.String({ minLength: 1, maxLength: 100 });
const Picture = Type.Union([Type.String({ maxLength: 2048, pattern: '^https?://' }), Type.Null()]);
const Username = Type.String({ minLength: 2, maxLength: 30 });

export const SignInProjection = Type.Object(
  {
    profile: Type.Optional(Type.Boolean({ default: false })),
    permissions: Type.Optional(Type.Boolean({ default: false })),
  },
  strict,
);

export const SignInFactor = Type.Object(
  {
    type: StringEnum(['TOTP', 'RECOVERY_CODE']),
    token: Type.String({ minLength: 6, maxLength: 50, description: 'The 6-digit code, or a recovery code' }),
  },
  strict,
);
export const ChangeFactor = Type.Object(
  { type: StringEnum(['PASSWORD', 'TOTP']), token: Type.String({ minLength: 1, maxLength: 1024 }) },
  strict,
);

export const SignInBody = Type.Object(
  {
    user: UserKey,
    password: LoginPassword,
    projection: Type.Optional(SignInProjection),
    secondaryAuthFactor: Type.Optional(SignInFactor),
  },
  strict,
);

export const TokenBody = Type.Object({ token: Token }, strict);
export const EmptyBody = Type.Object({}, strict);

const EmailInput = Type.Object(
  {
    address: Type.String({ minLength: 3, maxLength: 254 }),
    isVerified: Type.Optional(Type.Boolean({ default: false })),
    isPrimary: Type.Optional(Type.Boolean({ default: false })),
  },
  strict,
);

export const UserProjection = Type.Object(
  {
    id: Type.Optional(Type.Boolean()),
    username: Type.Optional(Type.Boolean()),
    fullName: Type.Optional(Type.Boolean()),
    picture: Type.Optional(Type.Boolean()),
    emails: Type.Optional(Type.Boolean()),
    orgs: Type.Optional(Type.Boolean()),
    createdAt: Type.Optional(Type.Boolean()),
    updatedAt: Type.Optional(Type.Boolean()),
    permissions: Type.Optional(Type.Boolean()),
  },
  strict,
);

export const UserInfoBody = Type.Object(
  { id: Type.Optional(Id), projection: Type.Optional(UserProjection) },
  { ...strict, description: 'Without `id`, the signed-in user' },
);

export const UserCreateBody = Type.Object(
  {
    username: Type.Optional(Username),
    password: Password,
    fullName: Type.Optional(FullName),
    picture: Type.Optional(Picture),
    emails: Type.Array(EmailInput, { minItems: 1, maxItems: 10 }),
    orgs: Type.Optional(Type.Array(Id, { maxItems: 100 })),
  },
  strict,
);

export const UserUpdateBody = Type.Object(
  {
    id: Id,
    username: Type.Optional(Username),
    password: Type.Optional(Password),
    fullName: Type.Optional(FullName),
    picture: Type.Optional(Picture),
    emails: Type.Optional(Type.Array(EmailInput, { minItems: 1, maxItems: 10 })),
    secondaryAuthFactor: Type.Optional(ChangeFactor),
  },
  // "At least one change" is checked by the handler: as a schema keyword (minProperties)
  // it would be reported before a missing `id`.
  strict,
);

export const IdBody = Type.Object({ id: Id }, strict);

export const DeactivateBody = Type.Object(
  {
    id: Id,
    deactivateAfterSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 315360000, default: 0 })),
  },
  strict,
);

export const UserListBody = Type.Object(
  {
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    org: Type.Optional(Id),
    projection: Type.Optional(UserProjection),
  },
  strict,
);

export type Schema = TSchema;

export const TotpEnrollBody = Type.Object({ userId: Id }, strict);
export const TotpActivateBody = Type.Object(
  {
    userId: Id,
    secret: Type.String({ minLength: 32, maxLength: 32 }),
    token: Type.String({ minLength: 6, maxLength: 6, pattern: '[0-9]' }),
  },
  strict,
);
export const TotpEjectBody = Type.Object(
  { userId: Id, secondaryAuthFactor: Type.Optional(ChangeFactor) },
  strict,
);
