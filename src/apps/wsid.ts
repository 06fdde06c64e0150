/**
 * The reference's workspace id layout (voedger istructs): a WSID is 64 bits,
 * bit 63 zero, bits 47–62 the cluster id, bits 0–46 the base. Profile workspaces
 * of an app take bases from a per-app sequence starting at FIRST_PROFILE_BASE
 * (`FirstBaseUserWSID`), in cluster 1. Every value stays below 2^53, so it is an
 * exact JavaScript number and an exact JSON integer.
 */
export const CLUSTER_BITS_SHIFT = 47;
export const MAIN_CLUSTER = 1;
/** The reference's `istructs.FirstBaseUserWSID`. */
export const FIRST_PROFILE_BASE = 131071;
export const MAX_BASE = 2 ** CLUSTER_BITS_SHIFT - 1;

/** cluster << 47 | base, computed without 32-bit bitwise operators. */
export function wsidOf(cluster: number, base: number): number {
  if (!Number.isInteger(base) || base < 0 || base > MAX_BASE)
    throw new RangeError(`WSID base out of range: ${base}`);
  if (!Number.isInteger(cluster) || cluster < 0 || cluster > 0xffff)
    throw new RangeError(`cluster id out of range: ${cluster}`);
  return cluster * 2 ** CLUSTER_BITS_SHIFT + base;
}

export function baseOf(wsid: number): number {
  return wsid % 2 ** CLUSTER_BITS_SHIFT;
}

export function clusterOf(wsid: number): number {
  return Math.floor(wsid / 2 ** CLUSTER_BITS_SHIFT);
}

/** The profile WSID for the nth base an app handed out. */
export function profileWsid(base: number): number {
  return wsidOf(MAIN_CLUSTER, base);
}
