// Worker threads start without the parent's TypeScript loader. Compiled (dist/, `npm run build`): load worker.js;
// from source: register tsx, then load worker.ts.
import { existsSync } from 'node:fs';

const compiled = new URL('./worker.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./worker.ts');
}
