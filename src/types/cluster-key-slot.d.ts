/** The hash slot (0–16383) Redis Cluster gives a key (CRC16 of its hash tag); the package ioredis itself uses. */
declare module 'cluster-key-slot' {
  function calculateSlot(key: string | Buffer): number;
  export = calculateSlot;
}
