// Crash exits in the middle of an invocation, as a process does when a
// fatal error ends it.
export const handler = async () => {
  console.error('fatal: connection pool exhausted, exiting');
  process.exit(3);
};
