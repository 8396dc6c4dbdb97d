/** A line of measurement for the person reading the test output; it asserts nothing. */
export function diagnostic(line: string): void {
  process.stderr.write(`# ${line}\n`);
}
