// Preloaded (node --import) into app instances started with --cpu-prof (BENCH_CPU_PROF): a process
// killed by a signal writes no profile, and Nest's shutdown hook ends the app by re-raising the
// SIGTERM or SIGINT it handled. With this listener in place that second signal arrives here
// instead and ends the process with process.exit(), which writes the profile.
for (const signal of /** @type {const} */ (['SIGTERM', 'SIGINT'])) {
  process.on(signal, () => {
    // Alone: nobody else shuts down (the app is not up yet, or has already closed).
    if (process.listenerCount(signal) === 1) process.exit(0);
  });
}
