// Worker threads sized from the container's CPU quota: in a pod limited to 2 CPUs on a 64-core node,
// os.availableParallelism() says 64, and 64 busy threads would be throttled by the kernel (latency
// spikes of a whole CFS period). cgroup v2 writes the quota to cpu.max ("max 100000" or
// "200000 100000"), cgroup v1 to cpu.cfs_quota_us / cpu.cfs_period_us (-1 = none).
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Where the quota files are (tests pass fake ones). */
export interface CgroupFiles {
  /** cgroup v2: "<quota|max> <period>". */
  cpuMax: string;
  /** cgroup v1. */
  cfsQuota: string;
  cfsPeriod: string;
}

/** The files of the cgroup this process runs in, as containers mount them. */
export const CGROUP_FILES: Readonly<CgroupFiles> = Object.freeze({
  cpuMax: '/sys/fs/cgroup/cpu.max',
  cfsQuota: '/sys/fs/cgroup/cpu/cpu.cfs_quota_us',
  cfsPeriod: '/sys/fs/cgroup/cpu/cpu.cfs_period_us',
});

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The CPU quota in CPUs (e.g. 1.5), or undefined when there is none (or no cgroup files). */
export function cpuQuota(files: CgroupFiles = CGROUP_FILES): number | undefined {
  const v2 = read(files.cpuMax);
  if (v2 !== undefined) {
    const [quota, period] = v2.split(/\s+/);
    if (quota === 'max') return undefined;
    const q = Number(quota), p = Number(period ?? 100000);
    return q > 0 && p > 0 ? q / p : undefined;
  }
  const q = Number(read(files.cfsQuota)), p = Number(read(files.cfsPeriod));
  return Number.isFinite(q) && q > 0 && Number.isFinite(p) && p > 0 ? q / p : undefined;
}

/**
 * Worker threads for `memguard serve` when no --threads/--workers is given: the cores this process
 * may use, i.e. the CPU quota rounded down (at least 1), never more than the machine's cores.
 */
export function defaultThreads(files: CgroupFiles = CGROUP_FILES, cores = availableParallelism()): number {
  const quota = cpuQuota(files);
  return quota === undefined ? cores : Math.max(1, Math.min(cores, Math.floor(quota + 1e-9)));
}
