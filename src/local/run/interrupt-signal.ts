/**
 * The abort signal of a long-running command: the CLI's own when it passes one, else one
 * that Ctrl-C (SIGINT) or SIGTERM aborts. `dispose` removes the handlers again.
 */
export function interruptSignal(given?: AbortSignal): { signal: AbortSignal; dispose: () => void } {
  if (given) return { signal: given, dispose: () => {} };
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    },
  };
}
