// Preloaded with `node --import`: prints `module-loaded <url>` on stderr for every module of the
// Google emulator package that the process loads, so a test can tell whether it was loaded.
import { register } from 'node:module';

const hooks = `export async function load(url, context, next) {
  if (url.includes('google-emulator')) process.stderr.write('module-loaded ' + url + '\\n');
  return next(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
