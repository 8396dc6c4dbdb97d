/** Polls `probe` until it returns a value other than undefined, at most `withinMs`. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  withinMs = 20_000,
  everyMs = 10,
): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new Error(`${what} did not happen within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
