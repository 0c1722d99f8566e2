// git in a test's own repository, with an author so commits work on a machine without git config.
import { execFileSync } from 'node:child_process';

export function gitIn(repo: string): (...args: string[]) => Buffer {
  return (...args) =>
    execFileSync('git', args, {
      cwd: repo,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@example.com',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@example.com',
      },
    });
}
