export { fnv1a32, fnv1a32Bytes, partitionOfToken } from './hash.js';
export {
  DEFAULT_PARTITIONED_PREFIX,
  checkPartitionedSubject,
  partitionClockTickSubject,
  partitionEventPrefix,
  partitionFilterSubject,
  partitionOfSubject,
} from './subjects.js';
export type { PartitionedSubject } from './subjects.js';
export { partitionTransform, partitionedStreamSubjects, subjectMappingConfig } from './server-config.js';
export type { PartitionMappingOptions, PartitionTransform } from './server-config.js';
export { MIN_TTL_RENEWALS, compilePartitionOptions, defaultInstanceId } from './options.js';
export type { CompiledPartitionOptions, HostIdentity, PartitionsConfig } from './options.js';
export { LEASE_BUCKET_MAX_AGE_MS, createPartitionLeases } from './partition-leases.js';
export type { PartitionLeasesOptions } from './partition-leases.js';
export { createPartitionOwnership } from './ownership.js';
export type { OwnershipDeps } from './ownership.js';
export { allPartitions } from './static-ownership.js';
export type { AllPartitionsOptions } from './static-ownership.js';
export { RevisionAges, fairShare, planRound } from './lease-plan.js';
export type { HeartbeatObservation, LeaseObservation, Plan, PlanInput } from './lease-plan.js';
export type { LeaseChange, LostReason, OwnershipState, PartitionOwnership, ReleaseHook } from './types.js';
