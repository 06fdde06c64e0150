import { Type } from '@sinclair/typebox';

export const AdminError = Type.Object(
  { statusCode: Type.Integer(), error: Type.String(), message: Type.String() },
  { $id: 'AdminError', description: 'Fastify-style error' },
);

export const errorResponses = {
  400: AdminError,
  401: AdminError,
  403: AdminError,
  404: AdminError,
  409: AdminError,
} as const;

export const AppQuery = Type.Object(
  {
    app: Type.Optional(
      Type.String({ minLength: 3, maxLength: 129, description: '`owner/app`; the default app when omitted' }),
    ),
  },
  { additionalProperties: false },
);

export const AdminEmail = Type.Object({
  address: Type.String(),
  isVerified: Type.Boolean(),
  isPrimary: Type.Boolean(),
});

export const AdminUser = Type.Object({
  id: Type.String(),
  app: Type.String(),
  username: Type.Union([Type.String(), Type.Null()]),
  fullName: Type.Union([Type.String(), Type.Null()]),
  emails: Type.Array(AdminEmail),
  isActive: Type.Boolean(),
  deactivatedAt: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const AdminKey = Type.Object({
  kid: Type.String(),
  alg: Type.String(),
  status: Type.Union([Type.Literal('signing'), Type.Literal('verifying'), Type.Literal('expired')]),
  createdAt: Type.String(),
  retiredAt: Type.Union([Type.String(), Type.Null()]),
  verifyUntil: Type.Union([Type.String(), Type.Null()]),
});
