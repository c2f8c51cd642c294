// Console output the examples promise (their header comments and examples/README.md),
// shared by the tests of examples/os and examples/os-pv.

export const lines = (...text: string[]): string => text.map((line) => line + '\n').join('');

/** The output the header of examples/os/kernel.g32 promises for `--input-at 2000:k`; os-pv prints the same. */
export const OS_WITH_KEY = lines(
  '[kernel] booting 3 processes',
  '[user1] hello 1 of 3',
  '[user1] hello 2 of 3',
  '[user1] hello 3 of 3',
  '[kernel] process 1 waits for a key',
  "[kernel] key 'k' wakes process 1",
  "[user1] read returned 'k'",
  '[kernel] process 1 exited',
  '[user3] reading kernel memory at 0x00001000',
  '[kernel] process 3 killed: page fault at pc 0x0040001c, address 0x00001000, error 5',
  '[user2] 25 primes below 100',
  '[user2] 46 primes below 200',
  '[user2] 62 primes below 300',
  '[kernel] process 2 exited',
  '[kernel] all processes have exited; halting',
);
