import { Type } from '@sinclair/typebox';
import { RpcSessionUser, RpcUser, RpcUserStatus, ref } from '../../openapi/components.js';

const exact = { additionalProperties: false } as const;
const DateTime = Type.String({ format: 'date-time' });
const NextCursor = Type.Optional(
  Type.String({ description: 'Present when there are more; pass it as `cursor` for the next page' }),
);
const Count = (what: string) =>
  Type.Integer({ minimum: 0, description: `How many ${what} match, on all pages` });

const Org = Type.Object(
  { id: Type.String(), name: Type.String(), slug: Type.String(), createdAt: DateTime, updatedAt: DateTime },
  exact,
);

const PermissionFields = {
  id: Type.String(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  scope: Type.Union([Type.String(), Type.Null()], { description: 'The org it belongs to; null when global' }),
  isSystemPermission: Type.Boolean(),
  createdAt: DateTime,
  updatedAt: DateTime,
};

const RoleFields = {
  id: Type.String(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  scope: Type.Union([Type.String(), Type.Null()], { description: 'The org it belongs to; null when global' }),
  isSystemRole: Type.Boolean(),
  permissions: Type.Array(Type.String(), { description: 'The ids of its permissions' }),
  createdAt: DateTime,
  updatedAt: DateTime,
};

const Assignment = {
  userId: Type.String(),
  orgId: Type.Union([Type.String(), Type.Null()], { description: 'null for a global grant' }),
  resourceId: Type.Union([Type.String(), Type.Null()]),
};

const InvitationGrant = Type.Object({ id: Type.String(), resourceId: Type.Optional(Type.String()) }, exact);

const Invitation = Type.Object(
  {
    id: Type.String(),
    org: Type.Object({ id: Type.String() }, exact),
    user: Type.Object(
      {
        id: Type.Union([Type.String(), Type.Null()], { description: 'Set for an existing account' }),
        emailAddress: Type.String(),
      },
      exact,
    ),
    permissions: Type.Array(InvitationGrant),
    roles: Type.Array(InvitationGrant),
    createdAt: DateTime,
    expiresAt: DateTime,
  },
  exact,
);

/** The success fields of each rpc method's answer (besides `ok: true`). */
const TokenIssued = Type.Object({
  token: Type.String({ description: 'The session JWT; send it as `Authorization: Bearer <token>`' }),
  expiresAt: Type.String({ format: 'date-time', description: 'The token’s `exp`' }),
});

export const RESPONSES = {
  token: TokenIssued,
  sessionUser: Type.Object({ user: ref(RpcSessionUser) }),
  nothing: Type.Object({}),
  user: Type.Object({ user: ref(RpcUser) }),
  userList: Type.Object({
    users: Type.Array(ref(RpcUser)),
    nextCursor: Type.Optional(
      Type.String({ description: 'Present when there are more users; pass it as `cursor`' }),
    ),
  }),
  userStatus: Type.Object({ user: ref(RpcUserStatus) }),
  totpEnrollment: Type.Object({
    totp: Type.Object({
      secret: Type.String({ description: 'Base32, 160 bits; shown this once' }),
      qrcode: Type.String({ description: 'PNG data URL of the otpauth:// URI' }),
      isPendingActivation: Type.Literal(true),
    }),
  }),
  org: Type.Object({ org: Org }),
  orgList: Type.Object({ orgs: Type.Array(Org), orgsCount: Count('orgs'), nextCursor: NextCursor }),
  permission: Type.Object({ permission: Type.Object(PermissionFields, exact) }),
  permissionList: Type.Object({
    permissions: Type.Array(
      Type.Object(
        {
          ...PermissionFields,
          usersCount: Type.Integer({ minimum: 0, description: 'Users granted it directly' }),
          rolesCount: Type.Integer({ minimum: 0, description: 'Roles that hold it' }),
        },
        exact,
      ),
    ),
    permissionsCount: Count('permissions'),
    nextCursor: NextCursor,
  }),
  role: Type.Object({ role: Type.Object(RoleFields, exact) }),
  roleList: Type.Object({
    roles: Type.Array(
      Type.Object(
        { ...RoleFields, usersCount: Type.Integer({ minimum: 0, description: 'Users holding it' }) },
        exact,
      ),
    ),
    rolesCount: Count('roles'),
    nextCursor: NextCursor,
  }),
  permissionAssignment: Type.Object({
    permissionAssignment: Type.Object({ ...Assignment, permissionId: Type.String() }, exact),
  }),
  roleAssignment: Type.Object({
    roleAssignment: Type.Object({ ...Assignment, roleId: Type.String() }, exact),
  }),
  invitationList: Type.Object({ invitations: Type.Array(Invitation), nextCursor: NextCursor }),
  passwordReset: Type.Object({ user: Type.Object({ id: Type.String(), updatedAt: DateTime }, exact) }),
  recoveryCodes: Type.Object({
    recoveryCodes: Type.Array(Type.String(), {
      description: 'Ten single-use codes, shown this once; they replace earlier ones',
    }),
  }),
};
