// Name resolution as this machine sees it; the context hands it to commands so tests can pass their own.
import { lookup } from 'node:dns/promises';

/** Every address a name resolves to (A and AAAA), as the system resolver answers. */
export type Resolver = (name: string) => Promise<string[]>;

export const systemResolver: Resolver = async (name) => (await lookup(name, { all: true, verbatim: true })).map((a) => a.address);
