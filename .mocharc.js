// Mocha's settings. In CI (CI=true) a skipped test (pending) or a left-over
// `.only` fails the run: CI must not pass without running what it claims.
const isCi = process.env.CI === 'true';

module.exports = {
  spec: ['out/test/**/*.test.js'],
  timeout: 30000,
  reporter: 'spec',
  forbidPending: isCi,
  forbidOnly: isCi,
};
