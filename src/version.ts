// The program's version, from package.json (esbuild inlines just this field into the bundle).
import { version } from '../package.json';

export const VERSION: string = version;
