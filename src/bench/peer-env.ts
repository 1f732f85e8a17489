// The environment of a PyTorch peer process. halite's addon sets glibc's malloc so that freed
// activations are reused instead of returned and faulted in again (native/core.cc: 1 GiB mmap and
// trim thresholds); without the same, Python's figures swing 3-10× with the page faults, so the
// peer gets the same settings. A user's own malloc settings are kept on both sides.

const ONE_GIB = String(2 ** 30);

/** process.env plus `extra`, with MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ at 1 GiB unless the user set malloc up. */
export function peerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (env.MALLOC_MMAP_THRESHOLD_ === undefined && env.MALLOC_TRIM_THRESHOLD_ === undefined && env.GLIBC_TUNABLES === undefined) {
    env.MALLOC_MMAP_THRESHOLD_ = ONE_GIB;
    env.MALLOC_TRIM_THRESHOLD_ = ONE_GIB;
  }
  return env;
}
