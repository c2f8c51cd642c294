// Mocha's settings. In CI (CI=true) a skipped test (pending) or a left-over
// `.only` fails the run: CI must not pass without running what it claims.
const isCi = process.env.CI === 'true';

module.exports = {
  spec: ['out/test/**/*.test.js'],
  timeout: 30000,
  reporter: 'spec',
  forbidPending: isCi,
  forbidOnly: isCi,
  // Once every test has finished, end the run even if a debug adapter process
  // a test started is still alive (seen once on a loaded CI machine): a leaked
  // child must not hold CI until its time limit.
  exit: true,
};
