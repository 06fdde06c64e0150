/**
 * The permissions every app has from its first start, named as in the rpc
 * reference so its clients keep working. The immutable `admin` role holds all of them.
 */
export const SYSTEM_PERMISSIONS = [
  'yeep.org.read',
  'yeep.org.write',
  'yeep.user.read',
  'yeep.user.write',
  'yeep.permission.read',
  'yeep.permission.write',
  'yeep.permission.assignment.read',
  'yeep.permission.assignment.write',
  'yeep.role.read',
  'yeep.role.write',
  'yeep.role.assignment.read',
  'yeep.role.assignment.write',
  'yeep.invitation.read',
  'yeep.invitation.write',
  // Server administration through the admin API (apps, keys, users of any app, audit);
  // only meaningful for administrators of the default app.
  'latchkey.admin',
] as const;

export type SystemPermission = (typeof SYSTEM_PERMISSIONS)[number];

export const ADMIN_ROLE = 'admin';
