import { Redis } from 'ioredis';

/**
 * A Redis connection that never makes a request wait for a dead server: commands
 * fail at once while disconnected (callers fall back), and the client keeps
 * reconnecting in the background so nodes recover by themselves.
 */
export function connectRedis(
  url: string,
  onError: (err: unknown) => void,
  options: { queueWhileOffline?: boolean } = {},
): Redis {
  const redis = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: options.queueWhileOffline ?? false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    commandTimeout: 1000,
    retryStrategy: (times) => Math.min(100 * times, 2000),
    // A subscriber may not send INFO once it has subscribed: its ready check would fail
    // ("Connection in subscriber mode") and drop the connection, losing messages until
    // the reconnect. The queue already holds its SUBSCRIBE until the connection is up.
    enableReadyCheck: !(options.queueWhileOffline ?? false),
  });
  redis.on('error', onError);
  return redis;
}
