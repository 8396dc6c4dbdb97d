/** The one place that reads the process environment; everything else receives an AppConfig. */
export function readEnvironment(): Record<string, string | undefined> {
  return { ...process.env };
}
