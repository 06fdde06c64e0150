import { Type } from '@sinclair/typebox';
import { RpcSessionUser, RpcUser, RpcUserStatus, ref } from '../../openapi/components.js';

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
  recoveryCodes: Type.Object({
    recoveryCodes: Type.Array(Type.String(), {
      description: 'Ten single-use codes, shown this once; they replace earlier ones',
    }),
  }),
};
