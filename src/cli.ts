#!/usr/bin/env node
// The entry file: the only place that calls process.exit.
import { main } from './program.js';

// If the event loop ever runs dry while a command is still pending (a
// callback that never came), that is a failure, not a silent exit 0.
let finished = false;
process.on('beforeExit', () => {
  if (!finished) {
    process.stderr.write('✗ deployer stopped before the command finished (an operation never completed); nothing was reported as done\n');
    process.exit(1);
  }
});

// The fault tests stop a deploy at a named point; this is the only place that reads the variable.
main(process.argv, { pauseAt: process.env.DEPLOYER_TEST_PAUSE_AT }).then(
  (code) => {
    finished = true;
    process.exit(code);
  },
  () => process.exit(1),
);
