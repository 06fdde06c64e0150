export type { MfaRepository, StoredTotp } from './ports.js';
export {
  hashRecoveryCode,
  newRecoveryCode,
  normalizeRecoveryCode,
  RECOVERY_CODE_COUNT,
} from './recovery-codes.js';
export {
  ENROLLMENT_TTL_MS,
  type FactorType,
  type MfaOutcome,
  MfaService,
  type SecondFactor,
} from './service.js';
export { codeAt, matchingStep, newTotpSecret, otpauthUri, stepAt, TOTP_PERIOD_SECONDS } from './totp.js';
