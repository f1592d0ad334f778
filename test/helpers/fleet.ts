// N test hosts booted side by side and one project deploying to them: up
// before the tests of the enclosing describe, torn down after them.
import { createProject, type Project } from './project.js';
import { startHost, type TestHost } from './testhost.js';
import { after, before } from './timed.js';

export interface Fleet {
  hosts: TestHost[];
  readonly app: Project;
}

export function useFleet(count: number, example: 'python-app' | 'binary-app', baseToml: () => string): Fleet {
  const hosts: TestHost[] = [];
  let app: Project | undefined;
  before(async () => {
    hosts.push(...(await Promise.all(Array.from({ length: count }, () => startHost()))));
    app = createProject(example, hosts, baseToml());
  });
  after(async () => {
    app?.cleanup();
    await Promise.all(hosts.map((h) => h.down()));
  });
  return {
    hosts,
    get app(): Project {
      if (!app) throw new Error('the fleet is not up (its before hook failed)');
      return app;
    },
  };
}
