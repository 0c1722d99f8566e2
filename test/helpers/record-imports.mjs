// Preloaded with `node --import`: writes every module URL the process loads to $RECORD_IMPORTS_FILE,
// so tests can see what a command really imports.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';

const file = process.env.RECORD_IMPORTS_FILE;
if (file) {
  const hooks = `
    import { appendFileSync } from 'node:fs';
    export async function load(url, context, next) {
      appendFileSync(${JSON.stringify(file)}, url + '\\n');
      return next(url, context);
    }`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
  appendFileSync(file, '');
}
