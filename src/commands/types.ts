// What every command file gets from the program: a way to build the context
// for the command being run. Here, not in program.ts, so commands do not
// import the program that imports them.
import type { Command } from 'commander';
import type { Context } from '../context.js';

export type ContextFactory = (cmd: Command) => Context;
