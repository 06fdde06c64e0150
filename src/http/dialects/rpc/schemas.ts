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
    roles: Type.Optional(Type.Boolean()),
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
    isPendingActivation: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Create the account pending activation: it cannot sign in until its primary address is verified (an activation mail is sent) or user.activate is called',
      }),
    ),
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

/** A totp.* call on a user; for your own account a current factor confirms it (a stolen token alone must not do it). */
const TotpUserBody = Type.Object({ userId: Id, secondaryAuthFactor: Type.Optional(ChangeFactor) }, strict);
export const TotpEnrollBody = TotpUserBody;
export const TotpActivateBody = Type.Object(
  {
    userId: Id,
    secret: Type.String({ minLength: 32, maxLength: 32 }),
    token: Type.String({ minLength: 6, maxLength: 6, pattern: '[0-9]' }),
  },
  strict,
);
export const TotpEjectBody = TotpUserBody;

// ---------------------------------------------------------------- identity management

const Limit = Type.Integer({ minimum: 1, maximum: 500, default: 100 });
const Cursor = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'The `nextCursor` of the previous page',
});
const Prefix = Type.String({ minLength: 1, maxLength: 100, description: 'A name prefix, case-insensitive' });
const Description = Type.String({ maxLength: 140 });
/** The secret of a mailed link: 64 hex characters here; the reference's alphabet and lengths are accepted. */
export const OneTimeSecret = Type.String({ minLength: 6, maxLength: 100, pattern: '^[A-Za-z0-9-]+$' });
const ResourceId = Type.Union([Type.String({ minLength: 1, maxLength: 140 }), Type.Integer()], {
  description:
    'Limits the grant to one resource of the application (a string, or a number kept as its string)',
});
const Expiry = (max: number, description: string) => Type.Integer({ minimum: 1, maximum: max, description });
const THIRTY_DAYS = 30 * 86400;

export const GrantItem = Type.Object({ id: Id, resourceId: Type.Optional(ResourceId) }, strict);
const Grants = Type.Array(GrantItem, { maxItems: 100 });

export const OrgCreateBody = Type.Object(
  {
    name: Type.String({ minLength: 3, maxLength: 100 }),
    slug: Type.String({
      minLength: 3,
      maxLength: 30,
      pattern: '^[A-Za-z0-9_-]+$',
      description: 'Unique per app; stored lowercased',
    }),
  },
  strict,
);

export const OrgUpdateBody = Type.Object(
  {
    id: Id,
    name: Type.Optional(Type.String({ minLength: 3, maxLength: 100 })),
    slug: Type.Optional(Type.String({ minLength: 3, maxLength: 30, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  strict,
);

export const OrgListBody = Type.Object(
  {
    q: Type.Optional(Prefix),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
    user: Type.Optional(Id),
  },
  strict,
);

export const OrgAddMemberBody = Type.Object(
  {
    userId: Id,
    orgId: Id,
    permissions: Type.Optional(Grants),
    roles: Type.Optional(Grants),
    expiresInSeconds: Type.Optional(
      Expiry(THIRTY_DAYS, 'The membership (and the grants made in the org) ends then'),
    ),
  },
  strict,
);

export const OrgRemoveMemberBody = Type.Object({ userId: Id, orgId: Id }, strict);

const PermissionName = Type.String({
  minLength: 2,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_.-]+$',
  description: 'Stored lowercased; `yeep.` and `latchkey.` are reserved',
});
const RoleName = Type.String({
  minLength: 2,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_.:-]+$',
  description: 'Stored lowercased',
});

export const PermissionCreateBody = Type.Object(
  { name: PermissionName, description: Type.Optional(Description), scope: Type.Optional(Id) },
  strict,
);

export const PermissionUpdateBody = Type.Object(
  { id: Id, name: Type.Optional(PermissionName), description: Type.Optional(Description) },
  strict,
);

export const PermissionListBody = Type.Object(
  {
    q: Type.Optional(Prefix),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
    scope: Type.Optional(Id),
    isSystemPermission: Type.Optional(Type.Boolean()),
  },
  strict,
);

const RolePermissions = Type.Array(Id, { minItems: 1, maxItems: 100 });

export const RoleCreateBody = Type.Object(
  {
    name: RoleName,
    description: Type.Optional(Description),
    permissions: RolePermissions,
    scope: Type.Optional(Id),
  },
  strict,
);

export const RoleUpdateBody = Type.Object(
  {
    id: Id,
    name: Type.Optional(RoleName),
    description: Type.Optional(Description),
    permissions: Type.Optional(RolePermissions),
  },
  strict,
);

export const RoleListBody = Type.Object(
  {
    q: Type.Optional(Prefix),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
    scope: Type.Optional(Id),
    isSystemRole: Type.Optional(Type.Boolean()),
  },
  strict,
);

export const PermissionAssignmentBody = Type.Object(
  { userId: Id, permissionId: Id, orgId: Type.Optional(Id), resourceId: Type.Optional(ResourceId) },
  strict,
);

export const RoleAssignmentBody = Type.Object(
  { userId: Id, roleId: Id, orgId: Type.Optional(Id), resourceId: Type.Optional(ResourceId) },
  strict,
);

export const InvitationCreateBody = Type.Object(
  {
    user: Type.String({ minLength: 2, maxLength: 254, description: 'A username, or an email address' }),
    org: Id,
    permissions: Type.Optional(Grants),
    roles: Type.Optional(Grants),
    tokenExpiresInSeconds: Type.Optional(Expiry(THIRTY_DAYS, 'Default 604800 (7 days)')),
  },
  strict,
);

export const InvitationAcceptBody = Type.Object(
  {
    token: OneTimeSecret,
    username: Type.Optional(Username),
    password: Type.Optional(Password),
    fullName: Type.Optional(FullName),
    picture: Type.Optional(Type.String({ maxLength: 2048, pattern: '^https?://' })),
  },
  strict,
);

export const InvitationListBody = Type.Object(
  {
    org: Type.Optional(Id),
    user: Type.Optional(Id),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  strict,
);

export const ForgotPasswordBody = Type.Object(
  {
    userKey: UserKey,
    tokenExpiresInSeconds: Type.Optional(
      Expiry(THIRTY_DAYS, 'At most 10800 (3 hours, the default): a longer value is shortened to it'),
    ),
  },
  strict,
);

export const ResetPasswordBody = Type.Object({ token: OneTimeSecret, password: Password }, strict);

export const VerifyEmailBody = Type.Object(
  {
    id: Id,
    emailAddress: Type.String({ minLength: 3, maxLength: 254 }),
    tokenExpiresInSeconds: Type.Optional(
      Expiry(THIRTY_DAYS, 'Default 10800 (3 hours); only with global yeep.user.write'),
    ),
  },
  strict,
);

export const OneTimeTokenBody = Type.Object({ token: OneTimeSecret }, strict);
