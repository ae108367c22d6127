// Types of scripts/sea/runtime-cache.mjs.
export interface RuntimeCacheOptions {
  cacheDir: string;
  log: (message: string) => void;
}

interface PinnedRuntime {
  package: string;
  version: string;
  binary: string;
  integrity: string;
  sha256: string;
}

export declare function hashFile(path: string): Promise<{ sha256: string; sha512: string }>;
export declare function tarballName(spec: { package: string; version: string }): string;
export declare function npmPack(spec: { package: string; version: string }, dir: string): Promise<string>;
export declare function ensureRuntime(spec: PinnedRuntime, options: RuntimeCacheOptions): Promise<string>;
