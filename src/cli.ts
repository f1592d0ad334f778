#!/usr/bin/env node
// The entry file: the only place that calls process.exit.
import { main } from './program.js';

main(process.argv).then(
  (code) => process.exit(code),
  () => process.exit(1),
);
